// uk run --missing-files: the files a program looked for and did not find, read from
// strace's lines on the console, as a list to paste into the config's Files (what ops
// calls its missing-files report). The loader's search of its library folders, and
// /proc, /sys, /dev and uk's own /.uk, are not the program's business and are left out.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace uk::app {

class MissingFiles {
public:
    // One console line; anything but a failed file call with ENOENT is ignored.
    void see(std::string_view line);
    // In the order first seen, each once.
    const std::vector<std::string>& paths() const { return paths_; }

private:
    std::vector<std::string> paths_;
    std::set<std::string> seen_;
};

// The strace options --missing-files uses when --strace gives none: every file call of
// every process.
std::vector<std::string> missing_files_strace_options();

} // namespace uk::app
