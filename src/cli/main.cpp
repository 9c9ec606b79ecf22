// uk: turns a Linux program into a single-application VM image and runs it.
#include "cli/command.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "guest/embedded.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <optional>
#include <unistd.h>

namespace {

std::string version_text()
{
    auto kernel = uk::guest::kernel_record();
    return fmt::format("uk {} (guest kernel Linux {} from {} {})", UK_VERSION, kernel.release, kernel.source_package,
                       kernel.source_version);
}

// -q and -v mean the same on every command that does something (uk's own lines on
// stderr: only warnings and errors, or every step), so they are added here, once, to each.
// uk run's -v is docker's --volume; there the flag is --verbose only.
struct OutputFlags {
    bool quiet = false;
    bool verbose = false;
};

void add_output_flags(CLI::App& app, OutputFlags& flags, const char* verbose_help)
{
    auto subcommands = app.get_subcommands({});
    if (!subcommands.empty()) {
        for (auto* sub : subcommands)
            add_output_flags(*sub, flags, verbose_help);
        return;
    }
    app.add_flag("-q,--quiet", flags.quiet, "Print only results, warnings and errors: no notices or progress");
    bool short_taken = app.get_option_no_throw("-v") != nullptr;
    app.add_flag(short_taken ? "--verbose" : "-v,--verbose", flags.verbose,
                 fmt::format("Say what uk does, step by step, on stderr{}{}", verbose_help ? ". " : "",
                             verbose_help ? verbose_help : ""));
}

const char* root_footer = "Examples:\n"
                          "  uk run ./server -p 8080                # build and boot, port 8080 published on 127.0.0.1\n"
                          "  uk build ./server && uk run server     # build into the image store, run by name\n"
                          "  uk doctor                              # what uk uses here, and what is missing\n"
                          "\n"
                          "Environment:\n"
                          "  UK_HOME       one folder for images, instances and caches (default: the XDG data,\n"
                          "                state and cache folders, ~/.local/share/uk and so on)\n"
                          "  UK_QEMU       the qemu-system-x86_64 to run (default: the one on PATH)\n"
                          "  UK_QEMU_ARM64 the qemu-system-aarch64 that runs arm64 guests (default: the one on PATH)\n"
                          "  NO_COLOR      when set and not empty, no colour even on a terminal\n"
                          "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE,\n"
                          "  AWS_SHARED_CREDENTIALS_FILE, AWS_REGION   uk image create --upload's credentials\n"
                          "\n";

const char* root_footer_end = "\nRun 'uk COMMAND --help' for a command's options; docs/exit-status.md has the details.";

} // namespace

int main(int argc, char** argv)
{
    uk::defer_stop_signals();
    CLI::App app{"uk turns an unmodified x86-64 or arm64 Linux program into a single-application virtual machine "
                 "(a small Linux kernel, the program, nothing else) and runs it under QEMU.",
                 "uk"};
    app.set_version_flag("--version", version_text());
    app.require_subcommand(0, 1);
    app.footer(std::string(root_footer) + uk::exit_status_help() + root_footer_end);

    uk::cli::Context context{uk::state::process_environment()};
    std::optional<uk::cli::Action> action;
    OutputFlags output;
    for (const auto& command : uk::cli::all_commands()) {
        auto* sub = app.add_subcommand(command.name, command.summary);
        auto run = command.declare(*sub, context);
        sub->callback([&action, run] { action = run; });
        add_output_flags(*sub, output, command.verbose_help);
    }
    uk::log::Settings settings{
        .colour_stderr = uk::log::colour_wanted(STDERR_FILENO, std::getenv("NO_COLOR"), std::getenv("TERM")),
        .colour_stdout = uk::log::colour_wanted(STDOUT_FILENO, std::getenv("NO_COLOR"), std::getenv("TERM")),
        .stderr_is_terminal = ::isatty(STDERR_FILENO) == 1,
    };
    uk::log::configure(settings);

    // Parsing errors are caught here rather than through CLI11_PARSE, so that every
    // mistake becomes the same one-line error and status as everything else.
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& done) {
        return app.exit(done);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0)
            return app.exit(error);
        auto* failed = &app;
        while (!failed->get_subcommands().empty())
            failed = failed->get_subcommands().front();
        std::string path;
        for (auto* at = failed; at != &app; at = at->get_parent())
            path = at->get_name() + " " + path;
        uk::log::error(fmt::format("{} (see 'uk {}--help')", error.what(), path));
        return uk::exit_status_of(uk::ErrorKind::usage);
    }
    if (output.quiet && output.verbose) {
        uk::log::error("-q and -v ask for opposite things: give one of them");
        return uk::exit_status_of(uk::ErrorKind::usage);
    }
    settings.level = output.quiet ? uk::log::Level::quiet : output.verbose ? uk::log::Level::verbose : uk::log::Level::normal;
    uk::log::configure(settings);
    if (!action) {
        std::fputs(app.help().c_str(), stdout);
        return uk::exit_success;
    }
    try {
        auto status = (*action)();
        if (!status) {
            auto error = status.error();
            // An interruption's status says which signal: the one still pending, if the
            // work that noticed it did not say.
            if (error.kind == uk::ErrorKind::interrupted && error.signal == 0)
                error.signal = uk::pending_stop_signal();
            uk::log::error(error.message);
            return uk::exit_status_of(error);
        }
        return *status;
    } catch (const std::exception& unexpected) {
        uk::log::error(fmt::format("internal error: {} (please report this)", unexpected.what()));
        return uk::exit_status_of(uk::ErrorKind::internal);
    }
}
