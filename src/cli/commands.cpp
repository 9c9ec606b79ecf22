#include "cli/command.hpp"

namespace uk::cli {

Action declare_build(CLI::App& command, const Context& context);
Action declare_run(CLI::App& command, const Context& context);

const std::vector<Command>& all_commands()
{
    static const std::vector<Command> commands{
        {"build", "Make a bootable image from an x86-64 Linux program", declare_build},
        {"run", "Boot a program or image in a VM and wait for it to exit", declare_run},
    };
    return commands;
}

} // namespace uk::cli
