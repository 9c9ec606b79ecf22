#include "guest/console_protocol.hpp"

#include <charconv>

namespace uk::guest {

std::optional<ExitStatusLine> find_exit_status_line(std::string_view line)
{
    static constexpr std::string_view marker = "uk-init: exit status ";
    auto at = line.rfind(marker);
    if (at == std::string_view::npos)
        return std::nullopt;
    auto digits = line.substr(at + marker.size());
    int value = -1;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size() || value < 0 || value > 255)
        return std::nullopt;
    return ExitStatusLine{at, value};
}

bool is_kernel_panic_line(std::string_view line)
{
    return line.find("Kernel panic - not syncing") != std::string_view::npos;
}

bool is_root_mount_panic(std::string_view panic_line)
{
    return panic_line.find("VFS: Unable to mount root fs") != std::string_view::npos;
}

bool is_out_of_memory_panic(std::string_view panic_line)
{
    return panic_line.find("System is deadlocked on memory") != std::string_view::npos ||
           panic_line.find("Out of memory and no killable processes") != std::string_view::npos;
}

namespace {

// The number after `key` ("anon-rss:") up to its "kB".
std::uint64_t kib_after(std::string_view line, std::string_view key)
{
    auto at = line.find(key);
    if (at == std::string_view::npos)
        return 0;
    auto digits = line.substr(at + key.size());
    std::uint64_t value = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return value;
}

} // namespace

std::optional<OomKill> find_oom_kill(std::string_view line)
{
    static constexpr std::string_view marker = "Out of memory: Killed process ";
    auto at = line.find(marker);
    if (at == std::string_view::npos)
        return std::nullopt;
    auto rest = line.substr(at + marker.size());
    auto open = rest.find('(');
    auto close = rest.find(") ", open == std::string_view::npos ? 0 : open);
    if (open == std::string_view::npos || close == std::string_view::npos)
        return std::nullopt;
    return OomKill{std::string(rest.substr(open + 1, close - open - 1)), kib_after(rest, "anon-rss:"),
                   kib_after(rest, "file-rss:")};
}

} // namespace uk::guest
