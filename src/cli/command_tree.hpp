// The commands and options as the CLI declares them, read back from CLI11: the one
// source the man page and the shell completions are generated from, so neither can drift
// from `uk --help`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace uk::cli {

struct OptionText {
    std::vector<std::string> flags; // "-o", "--output"; empty for a positional argument
    std::string name;               // a positional's name: "PROGRAM"
    // What the value is ("FILE", "SIZE", "auto|zstd|lz4|none"), empty for a flag. Completion
    // knows FILE, DIR, IMAGE, INSTANCE, TAP, BRIDGE and a|b|c; positionals are known by name.
    std::string value;
    std::string description;
    bool required = false;
    bool repeatable = false;
};

struct CommandText {
    std::vector<std::string> path; // {} for uk itself, {"image", "create"}
    std::string summary;
    std::string footer;
    std::vector<std::string> aliases;
    std::vector<std::string> subcommands; // visible ones, in declaration order
    std::vector<OptionText> options;      // named options first, then positionals
    std::string usage() const;            // "uk image create [OPTIONS] [PROGRAM]"
};

// Every visible command, parents before their subcommands; hidden ones (group "") are left out.
std::vector<CommandText> describe_commands(const CLI::App& root);

} // namespace uk::cli
