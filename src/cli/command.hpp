// Every command is one entry of this table: its name, one line of help, and a function
// that declares its options on a CLI11 subcommand and returns what runs it.
#pragma once

#include "core/error.hpp"
#include "state/paths.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace uk::cli {

// What commands need from the process: read once in main.
struct Context {
    state::Environment environment;
};

// Runs the command; the value is uk's exit status.
using Action = std::function<Result<int>()>;

struct Command {
    const char* name;
    const char* summary;
    std::function<Action(CLI::App& command, const Context& context)> declare;
    // What -v adds for this command, when more than uk's own steps (main adds -q and -v).
    const char* verbose_help = nullptr;
};

const std::vector<Command>& all_commands();

// A flag's value parsed by one of settings' parsers, its error prefixed with the flag:
// "--mem: expected a size like ...".
template <class Parsed>
Result<Parsed> flag_value(const char* flag, Result<Parsed> parsed)
{
    if (!parsed)
        return fail(ErrorKind::usage, "{}: {}", flag, parsed.error().message);
    return parsed;
}

} // namespace uk::cli
