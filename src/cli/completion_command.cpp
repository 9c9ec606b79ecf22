// uk completion bash|zsh prints a completion script; the hidden uk manpage prints uk(1).
// Both read the commands back from the parser, so they say what --help says.
#include "cli/command.hpp"
#include "cli/command_tree.hpp"
#include "cli/completion.hpp"
#include "cli/manpage.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"

#include <memory>

namespace uk::cli {
namespace {

const CLI::App& root_of(const CLI::App& command)
{
    const auto* app = &command;
    while (app->get_parent())
        app = app->get_parent();
    return *app;
}

} // namespace

Action declare_completion(CLI::App& command, const Context&)
{
    auto shell = std::make_shared<std::string>();
    command.add_option("SHELL", *shell, "The shell: bash or zsh")->type_name("bash|zsh")->required();
    command.footer("Examples:\n"
                   "  source <(uk completion bash)           # in ~/.bashrc\n"
                   "  uk completion zsh > \"${fpath[1]}/_uk\"   # then restart zsh\n"
                   "The Debian package installs both; these are for uk built from source.");
    return [shell, &command]() -> Result<int> {
        auto commands = describe_commands(root_of(command));
        if (*shell == "bash")
            std::fputs(render_bash_completion(commands, UK_VERSION).c_str(), stdout);
        else if (*shell == "zsh")
            std::fputs(render_zsh_completion(commands, UK_VERSION).c_str(), stdout);
        else
            return fail(ErrorKind::usage, "uk completion knows bash and zsh, not \"{}\"", *shell);
        return exit_success;
    };
}

Action declare_manpage(CLI::App& command, const Context&)
{
    command.group(""); // for the build (packaging/), not for users
    return [&command]() -> Result<int> {
        std::fputs(render_manpage(describe_commands(root_of(command)), UK_VERSION).c_str(), stdout);
        return exit_success;
    };
}

} // namespace uk::cli
