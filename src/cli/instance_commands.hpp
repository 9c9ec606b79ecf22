// uk instance's subcommands, declared in more than one file.
#pragma once

#include "cli/command.hpp"

#include <string>

namespace uk::cli {

struct LogsOptions {
    std::string name;
    bool follow = false;
    bool all = false;
};
Result<int> show_logs(const LogsOptions& options, const Context& context);

struct StatsOptions {
    std::string name;
    bool json = false;
    bool watch = false;
    std::string interval = "2s";
};
Result<int> show_stats(const StatsOptions& options, const Context& context);

} // namespace uk::cli
