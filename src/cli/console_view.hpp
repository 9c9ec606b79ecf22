// The guest's console as the user sees it, for `uk run` (attached) and `uk instance logs`:
// without -v, no boot noise, and nothing from uk-init's status line on (all of it stays
// in the console log) until a restart policy's next run.
#pragma once

#include <optional>
#include <string_view>

namespace uk::cli {

class ConsoleFilter {
public:
    explicit ConsoleFilter(bool verbose) : verbose_(verbose) {}
    // The part of the line to show, or nothing.
    std::optional<std::string_view> filter(std::string_view line);

private:
    bool verbose_;
    bool program_ended_ = false;
};

// Prints the filtered line and a newline on stdout, at once.
void print_console_line(ConsoleFilter& filter, std::string_view line);

} // namespace uk::cli
