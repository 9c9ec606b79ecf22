#include "cli/run_modes.hpp"

#include "core/log.hpp"
#include "core/exit_status.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "hypervisor/listen_backlog.hpp"
#include "hypervisor/qmp.hpp"
#include "hypervisor/runner.hpp"
#include "instance/control.hpp"

#include <cstdio>
#include <thread>

namespace uk::cli {
namespace {

using namespace std::chrono_literals;

class ConsoleView final : public hypervisor::RunObserver {
public:
    ConsoleView(bool verbose, const instance::Store& store, instance::Record& record)
        : filter_(verbose), store_(store), record_(record)
    {
    }

    void started(int qemu_pid) override
    {
        record_.qemu_pid = qemu_pid;
        (void)store_.save(record_); // only `uk ps` reads it; the run goes on without it
    }

    void console_line(std::string_view line) override
    {
        if (auto shown = filter_.filter(line)) {
            std::fwrite(shown->data(), 1, shown->size(), stdout);
            std::fputc('\n', stdout);
            std::fflush(stdout);
        }
    }

    void stopping(bool forced) override
    {
        record_.stop_requested = true;
        (void)store_.save(record_);
        log::notice(forced ? "stopping the VM now"
                            : "stopping the VM (the program gets SIGTERM); press Ctrl-C again to stop it at once");
    }

private:
    ConsoleFilter filter_;
    const instance::Store& store_;
    instance::Record& record_;
};

Result<int> outcome_to_status(const hypervisor::RunOutcome& outcome, hypervisor::Accelerator accelerator,
                              const std::filesystem::path& log)
{
    if (outcome.program_status)
        return *outcome.program_status;
    if (outcome.hypervisor_stop)
        return fail(hypervisor::hypervisor_stop_error(*outcome.hypervisor_stop, accelerator, outcome.qemu_errors, log));
    if (outcome.stop_requested)
        return fail(ErrorKind::interrupted, "stopped the VM before its program exited");
    const auto& errors = outcome.qemu_errors;
    if (errors.find("Could not set up host forwarding rule") != std::string::npos)
        return fail(ErrorKind::unavailable, "QEMU could not publish a port (it was taken just now?): choose another with -p");
    // The probe passed, yet QEMU could not run this guest under KVM after all.
    if (accelerator == hypervisor::Accelerator::kvm && outcome.qemu_status != 0 && !errors.empty())
        return fail(ErrorKind::unavailable, "KVM on this host cannot run uk's guest: QEMU reported \"{}\"; run with "
                                            "--accel tcg, and see 'uk doctor'",
                    hypervisor::qemu_reason(errors));
    if (outcome.qemu_status != 0 && !errors.empty())
        return fail(ErrorKind::unavailable, "QEMU failed: {}", hypervisor::qemu_reason(errors));
    if (!outcome.panic_line.empty())
        return fail(ErrorKind::guest_failed, "the guest kernel panicked ({}); console log: {}", outcome.panic_line,
                    log.string());
    return fail(ErrorKind::guest_failed, "the VM ended before its program reported an exit status; console log: {}",
                log.string());
}

} // namespace

std::optional<std::string_view> ConsoleFilter::filter(std::string_view line)
{
    if (verbose_)
        return line;
    if (program_ended_)
        return std::nullopt;
    if (hypervisor::parse_exit_status_line(line)) {
        program_ended_ = true;
        // Output the program left without a final newline shares the status line.
        auto marker = line.rfind("uk-init: exit status ");
        if (marker > 0)
            return line.substr(0, marker);
        return std::nullopt;
    }
    if (line == "PCI: Fatal: No config space access function found") // microvm has no PCI bus
        return std::nullopt;
    return line;
}

Result<int> run_attached(const instance::Store& store, instance::Record record, const hypervisor::QemuConfig& config,
                         bool verbose)
{
    auto files = store.files(record.name);
    ConsoleView view(verbose, store, record);
    auto outcome = hypervisor::run_vm(hypervisor::run_request(config, files.console_log()), view);
    auto status = outcome ? outcome_to_status(*outcome, config.accelerator, files.console_log())
                          : Result<int>(fail(outcome.error()));
    // An attached run leaves nothing behind, except the console log of a guest that
    // failed: the error message gives its path.
    std::error_code ec;
    if (!status && status.error().kind == ErrorKind::guest_failed) {
        std::filesystem::remove(files.qmp_socket(), ec);
        std::filesystem::remove(files.record(), ec);
    } else {
        (void)store.remove(record.name);
    }
    return status;
}

} // namespace uk::cli
