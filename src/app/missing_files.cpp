#include "app/missing_files.hpp"

#include <array>

namespace uk::app {
namespace {

// The dynamic loader tries each capability subfolder of each library folder before the
// folder itself, and reads its cache and preload list: none of it is a missing file.
bool loader_search(std::string_view path)
{
    static constexpr std::array<std::string_view, 4> subfolders{"/glibc-hwcaps/", "/tls/", "/x86_64/", "/haswell/"};
    for (auto part : subfolders)
        if (path.find(part) != std::string_view::npos)
            return true;
    return path == "/etc/ld.so.cache" || path == "/etc/ld.so.preload";
}

bool not_the_programs(std::string_view path)
{
    static constexpr std::array<std::string_view, 4> prefixes{"/proc/", "/sys/", "/dev/", "/.uk/"};
    for (auto prefix : prefixes)
        if (path.starts_with(prefix))
            return true;
    return false;
}

} // namespace

void MissingFiles::see(std::string_view line)
{
    // [pid N] openat(AT_FDCWD, "/etc/app.toml", O_RDONLY) = -1 ENOENT (No such file or directory)
    auto result = line.rfind(") = -1 ENOENT");
    if (result == std::string_view::npos)
        return;
    auto open_quote = line.find('"');
    if (open_quote == std::string_view::npos || open_quote > result)
        return;
    auto close_quote = line.find('"', open_quote + 1);
    if (close_quote == std::string_view::npos || close_quote > result)
        return;
    auto path = line.substr(open_quote + 1, close_quote - open_quote - 1);
    // strace shows a path cut short with "..." after the quote; such a path is not whole.
    if (line.substr(close_quote + 1, 3) == "...")
        return;
    while (path.starts_with("//"))
        path.remove_prefix(1);
    if (!path.starts_with("/") || loader_search(path) || not_the_programs(path))
        return;
    std::string text(path);
    if (seen_.insert(text).second)
        paths_.push_back(text);
}

std::vector<std::string> missing_files_strace_options() { return {"-f", "-qq", "-e", "trace=%file"}; }

} // namespace uk::app
