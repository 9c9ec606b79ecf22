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

} // namespace uk::guest
