// uk: turns a Linux program into a single-application VM image and runs it.
#include "cli/command.hpp"
#include "cli/terminal.hpp"
#include "core/exit_status.hpp"
#include "core/signals.hpp"
#include "guest/embedded.hpp"

#include <CLI/CLI.hpp>
#include <exception>
#include <optional>

namespace {

std::string version_text()
{
    auto kernel = uk::guest::kernel_record();
    return fmt::format("uk {} (guest kernel Linux {} from {} {})", UK_VERSION, kernel.release, kernel.source_package,
                       kernel.source_version);
}

} // namespace

int main(int argc, char** argv)
{
    uk::defer_stop_signals();
    CLI::App app{"uk turns an unmodified x86-64 Linux program into a single-application virtual machine "
                 "(a small Linux kernel, the program, nothing else) and runs it under QEMU.",
                 "uk"};
    app.set_version_flag("--version", version_text());
    app.require_subcommand(0, 1);
    app.footer("Examples:\n"
               "  uk run ./server -p 8080               # build and boot, port 8080 published on 127.0.0.1\n"
               "  uk build ./server && uk run server     # build into the image store, run by name\n"
               "Run 'uk COMMAND --help' for a command's options. Exit statuses: docs/exit-status.md.");

    uk::cli::Context context{uk::state::process_environment()};
    std::optional<uk::cli::Action> action;
    for (const auto& command : uk::cli::all_commands()) {
        auto* sub = app.add_subcommand(command.name, command.summary);
        auto run = command.declare(*sub, context);
        sub->callback([&action, run] { action = run; });
    }

    // Parsing errors are caught here rather than through CLI11_PARSE, so that every
    // mistake becomes the same one-line error and status as everything else.
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& done) {
        return app.exit(done);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0)
            return app.exit(error);
        auto* failed = app.get_subcommands().empty() ? &app : app.get_subcommands().front();
        uk::cli::print_error(fmt::format("{} (see 'uk {}--help')", error.what(),
                                         failed == &app ? "" : failed->get_name() + " "));
        return uk::exit_status_of(uk::ErrorKind::usage);
    }
    if (!action) {
        std::fputs(app.help().c_str(), stdout);
        return uk::exit_success;
    }
    try {
        auto status = (*action)();
        if (!status) {
            uk::cli::print_error(status.error().message);
            return uk::exit_status_of(status.error().kind);
        }
        return *status;
    } catch (const std::exception& unexpected) {
        uk::cli::print_error(fmt::format("internal error: {} (please report this)", unexpected.what()));
        return uk::exit_status_of(uk::ErrorKind::internal);
    }
}
