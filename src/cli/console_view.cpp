#include "cli/console_view.hpp"

#include "guest/console_protocol.hpp"
#include "instance/record.hpp"

#include <cstdio>

namespace uk::cli {

std::optional<std::string_view> ConsoleFilter::filter(std::string_view line)
{
    if (verbose_)
        return line;
    // A restart policy's next run follows in the same log.
    if (instance::is_restart_line(line)) {
        program_ended_ = false;
        return line;
    }
    if (program_ended_)
        return std::nullopt;
    if (auto status = guest::find_exit_status_line(line)) {
        program_ended_ = true;
        // Output the program left without a final newline shares the status line.
        if (status->at > 0)
            return line.substr(0, status->at);
        return std::nullopt;
    }
    if (line == "PCI: Fatal: No config space access function found") // microvm has no PCI bus
        return std::nullopt;
    return line;
}

void print_console_line(ConsoleFilter& filter, std::string_view line)
{
    if (auto shown = filter.filter(line)) {
        std::fwrite(shown->data(), 1, shown->size(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }
}

} // namespace uk::cli
