#include "app/detached.hpp"

#include "app/outcome.hpp"
#include "app/restart.hpp"
#include "app/stop.hpp"
#include "app/supervise.hpp"
#include "app/volumes.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/signals.hpp"
#include "vm/network.hpp"
#include "vm/ports.hpp"

#include <cerrno>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <thread>
#include <unistd.h>

namespace uk::app {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view running_report = "running";
constexpr std::string_view failed_report = "failed ";

// The monitor's first line, or empty when it ended (or said nothing within the timeout,
// or a stop was asked for) without one.
std::string read_report(int fd, std::chrono::milliseconds timeout)
{
    auto deadline = Clock::now() + timeout;
    std::string text;
    while (text.find('\n') == std::string::npos && !stop_requested()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        pollfd p{fd, POLLIN, 0};
        if (left <= 0)
            break;
        if (::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100))) == 0)
            continue;
        char buffer[1024];
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text.substr(0, text.find('\n'));
}

// "failed KIND\tMESSAGE" back into the error.
Error reported_error(const std::string& report)
{
    auto rest = report.substr(failed_report.size());
    auto tab = rest.find('\t');
    if (tab == std::string::npos)
        return {ErrorKind::unavailable, rest};
    return {error_kind_named(rest.substr(0, tab)), rest.substr(tab + 1)};
}

std::string first_line_of(const std::filesystem::path& file)
{
    auto text = read_file(file).value_or("");
    return text.substr(0, text.find('\n'));
}

class ProcessMonitor final : public LaunchedMonitor {
public:
    explicit ProcessMonitor(Process process) : process_(std::move(process)) {}
    int report_fd() const override { return process_.stdout_fd(); }
    bool wait_end(std::chrono::milliseconds timeout) override { return process_.wait_for(timeout).has_value(); }
    void kill() override { process_.kill(); }
    void release() override { process_.release(); }

private:
    Process process_;
};

// The monitor's view of its VM: its pid in the record, the one report once it runs.
class MonitorView final : public RunView {
public:
    MonitorView(const instance::Store& store, instance::Record& record, int report_fd)
        : store_(store), record_(record), report_fd_(report_fd)
    {
    }
    void watching(vm::Accelerator accelerator, std::string hypervisor)
    {
        accelerator_ = accelerator;
        hypervisor_ = std::move(hypervisor);
    }
    // Recorded before the VM goes, so that nobody sees it gone without its reason.
    void hypervisor_stopped(const std::string& run_state, const std::string& said) override
    {
        auto files = store_.files(record_.name);
        auto error = hypervisor_stop_error(run_state, accelerator_, said, hypervisor_, files.console_log());
        (void)instance::write_failure(files, {run_state, error});
    }
    void running() override { report(std::string(running_report)); }
    void stopping(bool) override
    {
        record_.stop_requested = true;
        (void)store_.save(record_);
    }
    void report(const std::string& line)
    {
        if (reported_)
            return;
        reported_ = true;
        auto text = line + "\n";
        (void)!::write(report_fd_, text.data(), text.size());
        ::close(report_fd_); // so that the reader stops reading
    }
    void report(const Error& error) { report(fmt::format("{}{}\t{}", failed_report, to_string(error.kind), error.message)); }

private:
    const instance::Store& store_;
    instance::Record& record_;
    int report_fd_;
    bool reported_ = false;
    vm::Accelerator accelerator_ = vm::Accelerator::tcg;
    std::string hypervisor_;
};

// The instance's record once its monitor started the VM again, or nothing when it will
// not (no policy, the monitor gone, the deadline passed).
std::optional<instance::Record> next_run(const instance::Store& store, const instance::Record& ended,
                                         const instance::Files& files, Clock::time_point deadline)
{
    using namespace std::chrono_literals;
    if (ended.restart.when == settings::RestartPolicy::When::no)
        return std::nullopt;
    while (Clock::now() < deadline && !stop_requested()) {
        auto latest = store.load(ended.name);
        if (!latest || !instance::monitor_alive(*latest))
            return std::nullopt;
        if (latest->qemu_pid != ended.qemu_pid && instance::qemu_alive(latest->qemu_pid, files))
            return *latest;
        std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
}

} // namespace

Result<std::unique_ptr<LaunchedMonitor>> ProcessMonitorLauncher::launch(const instance::Files& files,
                                                                        const std::string& name)
{
    auto process = Process::spawn({.argv = {uk_.string(), "instance", "monitor", name},
                                   .stdin_stream = DevNull{},
                                   .stdout_stream = Pipe{},
                                   .stderr_stream = files.monitor_log(),
                                   .new_session = true,
                                   .die_with_parent = false});
    if (!process)
        return fail(process.error());
    return std::unique_ptr<LaunchedMonitor>(std::make_unique<ProcessMonitor>(std::move(*process)));
}

Result<instance::Record> start_detached(const instance::Store& store, instance::Record record, const vm::VmSpec& spec,
                                        vm::Backend& backend, MonitorLauncher& launcher, const DetachedStart& start)
{
    auto files = store.files(record.name);
    auto give_up = [&](Error error) -> Result<instance::Record> {
        if (!start.keep_on_failure)
            (void)store.remove(record.name);
        return fail(error);
    };
    if (auto saved = write_file_atomically(files.vm_spec(), as_bytes(vm::to_json(spec).dump(2) + "\n")); !saved)
        return give_up(saved.error());
    auto monitor = launcher.launch(files, record.name);
    if (!monitor)
        return give_up(monitor.error());
    auto report = read_report((*monitor)->report_fd(), start.start_timeout);
    if (stop_requested() && report != running_report) {
        (*monitor)->kill();
        return give_up(Error{ErrorKind::interrupted, fmt::format("stopped before instance {} ran", record.name)});
    }
    if (report != running_report) {
        if (report.starts_with(failed_report)) {
            (*monitor)->wait_end(std::chrono::seconds(5));
            auto error = reported_error(report);
            // A guest that failed keeps its folder, listed, for its console log.
            if (error.kind == ErrorKind::guest_failed)
                return fail(Error{error.kind, fmt::format("instance {} failed: {}", record.name, error.message)});
            return give_up(error);
        }
        (*monitor)->kill();
        auto why = first_line_of(files.monitor_log());
        return give_up(Error{ErrorKind::unavailable, fmt::format("the instance's monitor did not start the VM{}",
                                                                 why.empty() ? "" : ": " + why)});
    }
    (*monitor)->release(); // it outlives uk; `uk instance stop` ends its VM, and so it
    if (auto loaded = store.load(record.name))
        record = *loaded; // with the pid the monitor recorded
    if (!start.ready_port)
        return record;

    // A stop request ends the wait too: the instance is then stopped and removed, as if it
    // had never been started.
    auto alive = [&] {
        return !stop_requested() && instance::qemu_alive(record.qemu_pid, files) && !instance::read_failure(files);
    };
    auto ready_deadline = Clock::now() + start.ready_timeout;
    auto ready = backend.wait_until_guest_accepts(spec.control_socket, *start.ready_port, start.ready_timeout, alive);
    // Under a restart policy a VM that ended comes back: the wait goes on with the next one.
    while (ready && *ready == vm::Readiness::vm_ended && !stop_requested()) {
        auto next = next_run(store, record, files, ready_deadline);
        if (!next)
            break;
        record = *next;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(ready_deadline - Clock::now());
        ready = backend.wait_until_guest_accepts(spec.control_socket, *start.ready_port, left, alive);
    }
    if (stop_requested()) {
        kill_now(store, record);
        return give_up(Error{ErrorKind::interrupted,
                             fmt::format("stopped instance {} before its port {} answered", record.name,
                                         start.ready_port->host_port)});
    }
    if (!ready) {
        kill_now(store, record);
        return give_up(ready.error());
    }
    if (*ready == vm::Readiness::ready)
        return record;
    if (*ready == vm::Readiness::vm_ended) {
        wait_for_end(record, files, std::chrono::seconds(5));
        if (auto failure = instance::read_failure(files))
            return fail(Error{failure->error.kind, fmt::format("instance {} failed: {}", record.name,
                                                               failure->error.message)});
        auto status = instance::status_of(record, files);
        return fail(ErrorKind::guest_failed, "instance {} ended ({}) before port {} answered: see uk instance logs {}",
                    record.name, instance::describe(status), start.ready_port->host_port, record.name);
    }
    return fail(ErrorKind::unavailable,
                "port {} did not answer within {} s; instance {} is still running: see uk instance logs {}, or stop "
                "it with uk instance stop {}",
                start.ready_port->host_port, start.ready_timeout.count() / 1000, record.name, record.name,
                record.name);
}

Result<instance::Record> start_again(const instance::Store& store, const std::string& name, vm::Backend& backend,
                                     MonitorLauncher& launcher, std::chrono::milliseconds ready_timeout)
{
    auto record = store.load(name);
    if (!record)
        return fail(record.error());
    auto files = store.files(name);
    if (instance::is_live(instance::status_of(*record, files).state))
        return fail(ErrorKind::unavailable, "instance {} is running already: stop it first (uk instance stop {}), or "
                                            "uk instance restart {}",
                    name, name, name);
    auto text = read_file(files.vm_spec());
    if (!text)
        return fail(ErrorKind::not_found, "instance {} cannot be started again: it ran attached, so uk kept no "
                                          "description of its VM: run it again with uk run",
                    name);
    auto spec = vm::spec_from_json(nlohmann::json::parse(*text, nullptr, false));
    if (!spec)
        return fail(ErrorKind::invalid_input, "{} is damaged ({}): remove the instance (uk instance rm {})",
                    files.vm_spec().string(), spec.error().message, name);
    std::error_code ec;
    for (const auto& disk : spec->disks)
        if (!std::filesystem::exists(disk.file, ec))
            return fail(ErrorKind::not_found, "instance {} needs {}, which is gone: build it again, or run anew",
                        name, disk.file.string());
    Status host_ready;
    if (const auto* user = std::get_if<vm::UserNetwork>(&spec->network))
        host_ready = vm::check_ports_free(user->ports);
    else if (const auto* tap = std::get_if<vm::TapNetwork>(&spec->network))
        host_ready = vm::check_tap(tap->device);
    else if (const auto* bridge = std::get_if<vm::BridgeNetwork>(&spec->network))
        host_ready = vm::check_bridge(bridge->bridge, bridge->helper);
    if (host_ready && spec->debugger)
        host_ready = vm::check_debugger_port(spec->debugger->port);
    if (!host_ready)
        return fail(host_ready.error());

    // The last run's console (and with it its exit status) is the previous one now.
    std::filesystem::rename(files.console_log(), files.folder / "console.previous.log", ec);
    std::filesystem::remove(files.failure(), ec);
    record->qemu_pid = 0;
    record->stop_requested = false;
    record->forced = false;
    record->restarts = 0;
    record->last_exit_status.reset();
    record->restarting = false;
    if (auto saved = store.save(*record); !saved)
        return fail(saved.error());
    auto tcp = vm::tcp_ports(spec->network);
    bool halted = spec->debugger && spec->debugger->wait;
    return start_detached(store, *record, *spec, backend, launcher,
                          {.ready_port = tcp.empty() || halted ? std::nullopt : std::optional(tcp.front()),
                           .ready_timeout = ready_timeout,
                           .keep_on_failure = true});
}

namespace {

void append_line(const std::filesystem::path& file, const std::string& line)
{
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    auto text = line + "\n";
    if (fd)
        (void)!::write(fd.get(), text.data(), text.size());
}

// Between two runs: the back-off, cut short by a stop request. True when it ran out.
bool wait_before_restart(std::chrono::milliseconds delay, StopRequests& stops)
{
    auto deadline = Clock::now() + delay;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0)
            return true;
        pollfd p{stops.fd(), POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(left));
        if (ready > 0 && stops.take())
            return false;
    }
}

} // namespace

int monitor(const instance::Store& store, const volume::Store& volumes, const std::string& name, vm::Backend& backend,
            int report_fd, StopRequests& stops)
{
    auto record = store.load(name);
    if (!record) {
        auto text = fmt::format("{}{}\t{}\n", failed_report, to_string(record.error().kind), record.error().message);
        (void)!::write(report_fd, text.data(), text.size());
        return 1;
    }
    MonitorView view(store, *record, report_fd);
    auto files = store.files(name);
    auto text = read_file(files.vm_spec());
    auto spec = text ? vm::spec_from_json(nlohmann::json::parse(*text, nullptr, false))
                     : Result<vm::VmSpec>(fail(text.error()));
    if (!spec) {
        view.report(spec.error());
        return 1;
    }
    view.watching(spec->accelerator, backend.name());
    // Held by the monitor, which the VM never outlives (volume/lease.hpp).
    auto leases = take_volumes(record->mounts, volumes, store, name, [] { return stop_requested(); });
    if (!leases) {
        view.report(leases.error());
        return 1;
    }
    record->monitor_pid = static_cast<int>(::getpid());
    RestartBackoff backoff;
    for (bool first = true;; first = false) {
        auto started_at = Clock::now();
        auto machine = backend.start(*spec, files.qemu_log());
        std::optional<int> program_status;
        bool stop_asked = false;
        if (!machine) {
            // The first start's failure is uk run's error; a later one is a run that
            // failed, for the policy to weigh (a port some other program took meanwhile).
            if (first) {
                view.report(machine.error());
                return 1;
            }
            log::error(fmt::format("cannot start instance {} again: {}", name, machine.error().message));
        } else {
            record->qemu_pid = (*machine)->pid();
            record->restarting = false;
            if (auto saved = store.save(*record); !saved && first) {
                view.report(saved.error());
                return 1;
            }
            auto outcome = supervise(**machine, {.console_log = files.console_log(), .append_to_log = !first}, view,
                                     stops);
            auto result = outcome ? run_result(*outcome, spec->accelerator, backend.name(), files.console_log())
                                  : Result<int>(fail(outcome.error()));
            // For a VM that ended before it reported running; else nobody is listening any more.
            if (result)
                view.report(std::string(running_report));
            else
                view.report(result.error());
            if (outcome) {
                program_status = outcome->program_status;
                stop_asked = outcome->stop_requested;
            }
        }
        // uk instance stop marks the record before it signals this process.
        if (auto latest = store.load(name))
            stop_asked = stop_asked || latest->stop_requested;
        if (!should_restart(record->restart, {program_status, stop_asked}, record->restarts))
            return 0;
        auto delay = backoff.next(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_at));
        record->last_exit_status = program_status;
        record->restarting = true;
        (void)store.save(*record);
        if (!wait_before_restart(delay, stops)) {
            record->restarting = false;
            record->stop_requested = true;
            (void)store.save(*record);
            return 0;
        }
        record->restarts++;
        append_line(files.console_log(), instance::restart_line(record->restarts, program_status, delay));
        // The new run is not failed because an earlier one was; why that one ended stays in
        // the monitor's log.
        if (auto failure = instance::read_failure(files)) {
            log::error(fmt::format("instance {} failed before restart {}: {}", name, record->restarts,
                                   failure->error.message));
            std::error_code ec;
            std::filesystem::remove(files.failure(), ec);
        }
    }
}

} // namespace uk::app
