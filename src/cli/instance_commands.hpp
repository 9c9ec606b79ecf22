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

} // namespace uk::cli
