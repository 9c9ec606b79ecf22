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

std::string first_line(const std::string& text)
{
    auto line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
    return line;
}

Result<int> outcome_to_status(const hypervisor::RunOutcome& outcome, const std::filesystem::path& log)
{
    if (outcome.program_status)
        return *outcome.program_status;
    if (outcome.stop_requested)
        return fail(ErrorKind::interrupted, "stopped the VM before its program exited");
    const auto& errors = outcome.qemu_errors;
    if (errors.find("Could not set up host forwarding rule") != std::string::npos)
        return fail(ErrorKind::unavailable, "QEMU could not publish a port (it was taken just now?): choose another with -p");
    if (errors.find("kvm") != std::string::npos || errors.find("KVM") != std::string::npos)
        return fail(ErrorKind::unavailable, "QEMU could not use KVM ({}): try --accel tcg", first_line(errors));
    if (outcome.qemu_status != 0 && !errors.empty())
        return fail(ErrorKind::unavailable, "QEMU failed: {}", first_line(errors));
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
    auto outcome = hypervisor::run_vm({.qemu = config, .console_log = files.console_log()}, view);
    auto status = outcome ? outcome_to_status(*outcome, files.console_log()) : Result<int>(fail(outcome.error()));
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

Result<instance::Record> start_detached(const instance::Store& store, instance::Record record,
                                        const hypervisor::QemuConfig& config, const hypervisor::PortForward* ready_port,
                                        std::chrono::milliseconds ready_timeout)
{
    auto files = store.files(record.name);
    auto give_up = [&](Error error) -> Result<instance::Record> {
        (void)store.remove(record.name);
        return fail(error);
    };
    auto qemu = Process::spawn({.argv = hypervisor::qemu_argv(config),
                                .stdin_stream = DevNull{},
                                .stdout_stream = files.console_log(),
                                .stderr_stream = files.qemu_log(),
                                .new_session = true,
                                .die_with_parent = false});
    if (!qemu)
        return give_up(qemu.error());
    record.qemu_pid = qemu->pid();
    if (auto saved = store.save(record); !saved) {
        qemu->kill();
        return give_up(saved.error());
    }
    // QEMU is up once it answers on its control socket, which takes one client at a time:
    // this one is closed at once.
    auto qmp = hypervisor::QmpClient::connect(files.qmp_socket(), 30s);
    bool answered = qmp.has_value();
    auto why_not = answered ? std::string() : qmp.error().message;
    qmp = fail(ErrorKind::internal, "closed");
    if (!answered) {
        auto exited = qemu->wait_for(2s);
        if (!exited)
            qemu->kill();
        auto errors = read_file(files.qemu_log());
        auto why = errors && !errors->empty() ? first_line(*errors) : why_not;
        return give_up(Error{ErrorKind::unavailable, "QEMU failed: " + why});
    }
    // QEMU has opened the published ports by the time it answers (listen_backlog.hpp says why).
    (void)hypervisor::widen_listen_backlogs_and_say(record.qemu_pid, hypervisor::tcp_forwards(config.network));
    qemu->release(); // it outlives uk; `uk instance stop` ends it
    if (!ready_port)
        return record;

    auto ready = instance::wait_until_port_answers(files, record.qemu_pid, *ready_port, ready_timeout);
    if (!ready) {
        instance::kill_now(store, record);
        return give_up(ready.error());
    }
    if (*ready == instance::Readiness::ready)
        return record;
    if (*ready == instance::Readiness::vm_ended) {
        auto status = instance::status_of(record, files);
        return fail(ErrorKind::guest_failed, "instance {} ended ({}) before port {} answered: see uk instance logs {}",
                    record.name, instance::describe(status), ready_port->host_port, record.name);
    }
    return fail(ErrorKind::unavailable,
                "port {} did not answer within {} s; instance {} is still running: see uk instance logs {}, or stop "
                "it with uk instance stop {}",
                ready_port->host_port, ready_timeout.count() / 1000, record.name, record.name, record.name);
}

} // namespace uk::cli
