// What uk-init says on the console that uk reads: the one line it always ends with,
// "uk-init: exit status N" (docs/guest.md), possibly after output the program left
// without a newline, and the kernel's panic line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <optional>
#include <string_view>

namespace uk::guest {

struct ExitStatusLine {
    std::size_t at = 0; // where uk-init's words start in the line
    int status = 0;     // 0-255
};

// uk-init's status line, also after program output that shares its line.
std::optional<ExitStatusLine> find_exit_status_line(std::string_view line);

// "Kernel panic - not syncing: ..." when the line is the kernel's panic.
bool is_kernel_panic_line(std::string_view line);

// The kernel's panic because it found no root file system to mount.
bool is_root_mount_panic(std::string_view panic_line);

// The kernel's panic because memory ran out with nothing left to kill (the kernel alone
// did not fit, as in a guest too small to boot).
bool is_out_of_memory_panic(std::string_view panic_line);

// "Out of memory: Killed process 71 (node) total-vm:..., anon-rss:4264kB, file-rss:0kB, ...":
// the kernel's OOM killer ended a process of the guest.
struct OomKill {
    std::string process;
    std::uint64_t anon_rss_kib = 0;
    std::uint64_t file_rss_kib = 0;
};
std::optional<OomKill> find_oom_kill(std::string_view line);

} // namespace uk::guest
