#include "vm/detached.hpp"

#include "core/files.hpp"
#include "core/process.hpp"
#include "hypervisor/guest_watch.hpp"
#include "hypervisor/qmp.hpp"
#include "instance/control.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <unistd.h>

namespace uk::vm {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view started_report = "started";

std::string first_line(const std::string& text)
{
    auto line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
    return line;
}

// The monitor's first line on its stdout: "started", or "failed: why". Empty when it
// ended (or said nothing within the timeout) without one.
std::string read_report(int fd, std::chrono::milliseconds timeout)
{
    auto deadline = Clock::now() + timeout;
    std::string text;
    while (text.find('\n') == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        pollfd p{fd, POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
            break;
        char buffer[512];
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return first_line(text);
}

// What the monitor does while QEMU runs: keeps the record's pid current and tells
// start_detached once QEMU is running.
class MonitorView final : public hypervisor::RunObserver {
public:
    MonitorView(const instance::Store& store, instance::Record& record) : store_(store), record_(record) {}

    void started(int qemu_pid) override
    {
        record_.qemu_pid = qemu_pid;
        auto saved = store_.save(record_);
        report(saved ? std::string(started_report) : "failed: " + saved.error().message);
    }
    void console_line(std::string_view) override {}
    void stopping(bool) override
    {
        record_.stop_requested = true;
        (void)store_.save(record_);
    }

    // Says it once on stdout, then lets go of stdout, so that start_detached stops reading.
    void report(const std::string& line)
    {
        if (reported_)
            return;
        reported_ = true;
        auto text = line + "\n";
        (void)!::write(STDOUT_FILENO, text.data(), text.size());
        int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) {
            ::dup2(null, STDOUT_FILENO);
            ::close(null);
        }
    }

private:
    const instance::Store& store_;
    instance::Record& record_;
    bool reported_ = false;
};

hypervisor::Accelerator accelerator_of(const instance::Record& record)
{
    return record.accelerator == "kvm" ? hypervisor::Accelerator::kvm : hypervisor::Accelerator::tcg;
}

// The error for an instance whose guest QEMU stopped, as an attached run would give it.
Error failure_error(const instance::Record& record, const instance::Files& files, const instance::Failure& failure)
{
    auto error = hypervisor::hypervisor_stop_error({failure.run_state}, accelerator_of(record),
                                                   read_file(files.qemu_log()).value_or(""), files.console_log());
    return {error.kind, fmt::format("instance {} failed: {}", record.name, error.message)};
}

} // namespace

Status save_launch(const instance::Files& files, const hypervisor::RunRequest& request)
{
    auto forwards = nlohmann::json::array();
    for (const auto& f : request.tcp_forwards)
        forwards.push_back({{"host_address", f.host_address}, {"host_port", f.host_port}, {"guest_port", f.guest_port}});
    nlohmann::json json{{"qemu_argv", request.qemu_argv},
                        {"tcp_forwards", forwards},
                        {"qmp_socket", request.qmp_socket.string()},
                        {"stop_timeout_s", request.stop_timeout.count()}};
    return write_file_atomically(files.launch(), as_bytes(json.dump(2) + "\n"));
}

Result<hypervisor::RunRequest> load_launch(const instance::Files& files)
{
    auto text = read_file(files.launch());
    if (!text)
        return fail(text.error());
    try {
        auto json = nlohmann::json::parse(*text);
        hypervisor::RunRequest request;
        request.qemu_argv = json.at("qemu_argv").get<std::vector<std::string>>();
        for (const auto& f : json.at("tcp_forwards"))
            request.tcp_forwards.push_back({.protocol = hypervisor::Protocol::tcp,
                                            .host_address = f.at("host_address").get<std::string>(),
                                            .host_port = f.at("host_port").get<std::uint16_t>(),
                                            .guest_port = f.at("guest_port").get<std::uint16_t>()});
        request.qmp_socket = json.at("qmp_socket").get<std::string>();
        request.stop_timeout = std::chrono::seconds(json.at("stop_timeout_s").get<long>());
        request.console_log = files.console_log();
        return request;
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorKind::invalid_input, "{} is damaged ({}): remove the instance", files.launch().string(),
                    e.what());
    }
}

Result<instance::Record> start_detached(const instance::Store& store, instance::Record record,
                                        const hypervisor::RunRequest& request, const DetachedStart& start)
{
    auto files = store.files(record.name);
    auto give_up = [&](Error error) -> Result<instance::Record> {
        (void)store.remove(record.name);
        return fail(error);
    };
    if (auto saved = save_launch(files, request); !saved)
        return give_up(saved.error());
    auto monitor = Process::spawn({.argv = {start.uk_executable.string(), "instance", "monitor", record.name},
                                   .stdin_stream = DevNull{},
                                   .stdout_stream = Pipe{},
                                   .stderr_stream = files.monitor_log(),
                                   .new_session = true,
                                   .die_with_parent = false});
    if (!monitor)
        return give_up(monitor.error());
    auto report = read_report(monitor->stdout_fd(), 30s);
    if (report != started_report) {
        monitor->kill();
        auto why = report.starts_with("failed: ") ? report.substr(8)
                                                  : first_line(read_file(files.monitor_log()).value_or(""));
        return give_up(Error{ErrorKind::unavailable,
                             "the instance's monitor did not start QEMU" + (why.empty() ? "" : ": " + why)});
    }
    auto loaded = store.load(record.name); // with the pid the monitor recorded
    if (!loaded) {
        monitor->kill();
        return give_up(loaded.error());
    }
    record = *loaded;

    // QEMU is up once it answers on its control socket, which takes one client at a time:
    // this one is closed at once.
    auto qmp = hypervisor::QmpClient::connect(files.qmp_socket(), 30s);
    if (!qmp) {
        // QEMU ended at start: the monitor writes what it said to qemu.log as it ends.
        if (!monitor->wait_for(5s))
            monitor->kill();
        if (auto failure = instance::read_failure(files)) {
            // The guest got as far as QEMU stopping it: say so as an attached run would.
            auto error = failure_error(record, files, *failure);
            if (error.kind != ErrorKind::guest_failed)
                (void)store.remove(record.name);
            return fail(error);
        }
        auto said = hypervisor::qemu_reason(read_file(files.qemu_log()).value_or(""));
        return give_up(Error{ErrorKind::unavailable, "QEMU failed: " + (said.empty() ? qmp.error().message : said)});
    }
    qmp = fail(ErrorKind::internal, "closed");
    monitor->release(); // it outlives uk; `uk instance stop` ends its QEMU, and so it
    if (!start.ready_port)
        return record;

    auto ready = instance::wait_until_port_answers(files, record.qemu_pid, *start.ready_port, start.ready_timeout);
    if (!ready) {
        instance::kill_now(store, record);
        return give_up(ready.error());
    }
    if (*ready == instance::Readiness::ready)
        return record;
    if (*ready == instance::Readiness::vm_ended) {
        auto status = instance::status_of(record, files);
        if (auto failure = instance::read_failure(files))
            return fail(failure_error(record, files, *failure));
        return fail(ErrorKind::guest_failed, "instance {} ended ({}) before port {} answered: see uk instance logs {}",
                    record.name, instance::describe(status), start.ready_port->host_port, record.name);
    }
    return fail(ErrorKind::unavailable,
                "port {} did not answer within {} s; instance {} is still running: see uk instance logs {}, or stop "
                "it with uk instance stop {}",
                start.ready_port->host_port, start.ready_timeout.count() / 1000, record.name, record.name,
                record.name);
}

int monitor(const instance::Store& store, const std::string& name)
{
    auto record = store.load(name);
    if (!record) {
        std::printf("failed: %s\n", record.error().message.c_str());
        return 1;
    }
    auto files = store.files(name);
    auto request = load_launch(files);
    if (!request) {
        std::printf("failed: %s\n", request.error().message.c_str());
        return 1;
    }
    MonitorView view(store, *record);
    auto outcome = hypervisor::run_vm(*request, view);
    if (!outcome) {
        view.report("failed: " + outcome.error().message);
        (void)instance::write_failure(files, {"none", outcome.error().message});
        return 1;
    }
    (void)write_file_atomically(files.qemu_log(), as_bytes(outcome->qemu_errors));
    if (outcome->hypervisor_stop) {
        auto error = hypervisor::hypervisor_stop_error(*outcome->hypervisor_stop, accelerator_of(*record),
                                                       outcome->qemu_errors, files.console_log());
        (void)instance::write_failure(files, {outcome->hypervisor_stop->status, error.message});
    }
    return 0;
}

} // namespace uk::vm
