#include "cli/command.hpp"

namespace uk::cli {

Action declare_build(CLI::App& command, const Context& context);
Action declare_run(CLI::App& command, const Context& context);
Action declare_instance(CLI::App& command, const Context& context);
Action declare_ps(CLI::App& command, const Context& context);
Action declare_image(CLI::App& command, const Context& context);
Action declare_volume(CLI::App& command, const Context& context);
Action declare_doctor(CLI::App& command, const Context& context);
Action declare_completion(CLI::App& command, const Context& context);
Action declare_manpage(CLI::App& command, const Context& context);

const std::vector<Command>& all_commands()
{
    static const std::vector<Command> commands{
        {"build", "Make a bootable image from an x86-64 or arm64 Linux program", declare_build},
        {"run", "Boot a program or image in a VM (attached, or -d in the background)", declare_run,
         "Also show the kernel's messages and everything on the console"},
        {"instance", "Manage VMs started by uk run: list, logs, stop, start, restart, rm, inspect", declare_instance},
        {"ps", "List instances (uk instance list)", declare_ps},
        {"image", "Images for clouds, hypervisors and registries, and the image store: create, pull, push, list, inspect, rm", declare_image},
        {"volume", "Volumes, data that outlives a VM (uk run -v NAME:/path): create, list, inspect, rm, resize",
         declare_volume},
        {"doctor", "Say what uk will use on this machine and what is missing, with how to fix it", declare_doctor},
        {"completion", "Print the bash or zsh completion script", declare_completion},
        {"manpage", "Print the uk(1) man page (for packaging)", declare_manpage},
    };
    return commands;
}

} // namespace uk::cli
