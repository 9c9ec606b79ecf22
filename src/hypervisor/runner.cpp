#include "hypervisor/runner.hpp"

#include "core/process.hpp"
#include "core/unique_fd.hpp"
#include "hypervisor/listen_backlog.hpp"
#include "hypervisor/qmp.hpp"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace uk::hypervisor {
namespace {

using Clock = std::chrono::steady_clock;

// How long QEMU gets to power off once the program has exited.
constexpr auto power_off_grace = std::chrono::seconds(5);
constexpr std::size_t max_error_bytes = 64 * 1024;
// QEMU opens the published ports while it starts, before the guest runs; uk looks for
// them this often, for at most this long.
constexpr auto backlog_look_interval = std::chrono::milliseconds(20);
constexpr auto backlog_look_limit = std::chrono::seconds(30);

// Blocks the stop signals for the duration of a run and delivers them on a file
// descriptor instead, so the event loop handles them like any other input.
class StopSignals {
public:
    StopSignals()
    {
        sigemptyset(&set_);
        for (int s : {SIGINT, SIGTERM, SIGHUP})
            sigaddset(&set_, s);
        ::sigprocmask(SIG_BLOCK, &set_, &previous_);
        fd_.reset(::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK));
    }
    ~StopSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;
    int fd() const { return fd_.get(); }
    bool take()
    {
        signalfd_siginfo info{};
        bool any = false;
        while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info))
            any = true;
        return any;
    }

private:
    sigset_t set_{};
    sigset_t previous_{};
    UniqueFd fd_;
};

class LineSplitter {
public:
    template <class F>
    void feed(std::string_view bytes, F&& on_line)
    {
        partial_.append(bytes);
        std::size_t start = 0;
        for (auto newline = partial_.find('\n'); newline != std::string::npos; newline = partial_.find('\n', start)) {
            std::string_view line(partial_.data() + start, newline - start);
            if (!line.empty() && line.back() == '\r')
                line.remove_suffix(1);
            on_line(line);
            start = newline + 1;
        }
        partial_.erase(0, start);
    }
    template <class F>
    void finish(F&& on_line)
    {
        if (!partial_.empty())
            on_line(std::string_view(partial_));
        partial_.clear();
    }

private:
    std::string partial_;
};

void write_all(int fd, std::string_view bytes)
{
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // a full disk must not stop the VM; the console still reaches the terminal
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

} // namespace

std::optional<int> parse_exit_status_line(std::string_view line)
{
    static constexpr std::string_view marker = "uk-init: exit status ";
    auto at = line.rfind(marker);
    if (at == std::string_view::npos)
        return std::nullopt;
    auto digits = line.substr(at + marker.size());
    int value = -1;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size() || value < 0 || value > 255)
        return std::nullopt;
    return value;
}

RunRequest run_request(const QemuConfig& config, std::filesystem::path console_log)
{
    return {.qemu_argv = qemu_argv(config),
            .tcp_forwards = tcp_forwards(config.network),
            .qmp_socket = config.qmp_socket,
            .console_log = std::move(console_log)};
}

Result<RunOutcome> run_vm(const RunRequest& request, RunObserver& observer)
{
    StopSignals signals;
    if (signals.fd() < 0)
        return fail(ErrorKind::internal, "cannot watch for Ctrl-C: {}", std::strerror(errno));
    UniqueFd opened_log(::open(request.console_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    int log = opened_log.get();
    if (log < 0)
        return fail(ErrorKind::io, "cannot write the console log {}: {}", request.console_log.string(),
                    std::strerror(errno));

    auto watch = GuestWatch::create();
    if (!watch)
        return fail(watch.error());
    auto argv = request.qemu_argv;
    auto watch_args = qemu_watch_args(watch->qemu_end());
    argv.insert(argv.end(), watch_args.begin(), watch_args.end());
    auto qemu = Process::spawn({.argv = argv,
                                .stdin_stream = DevNull{},
                                .stdout_stream = Pipe{},
                                .stderr_stream = Pipe{},
                                .inherited_fds = {watch->qemu_end()}});
    watch->close_qemu_end();
    if (!qemu)
        return fail(qemu.error());
    observer.started(qemu->pid());

    RunOutcome outcome;
    const auto& forwards = request.tcp_forwards;
    bool backlogs_pending = !forwards.empty();
    auto backlog_look_until = Clock::now() + backlog_look_limit;
    LineSplitter console_lines;
    std::optional<Clock::time_point> deadline;
    bool console_open = true, errors_open = true;
    auto on_line = [&](std::string_view line) {
        observer.console_line(line);
        if (auto status = parse_exit_status_line(line); status && !outcome.program_status) {
            outcome.program_status = status;
            deadline = Clock::now() + power_off_grace;
        }
        if (line.find("Kernel panic - not syncing") != std::string_view::npos && outcome.panic_line.empty())
            outcome.panic_line = std::string(line);
    };
    auto force_stop = [&] {
        outcome.forced = true;
        qemu->kill();
    };
    auto graceful_stop = [&] {
        // The power button: uk-init gives the program SIGTERM and its grace period.
        auto qmp = QmpClient::connect(request.qmp_socket, std::chrono::milliseconds(1000));
        if (!qmp || !qmp->execute("system_powerdown", std::chrono::milliseconds(1000)))
            force_stop();
        deadline = Clock::now() + request.stop_timeout;
    };

    while (console_open || errors_open) {
        int timeout_ms = -1;
        if (deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
            timeout_ms = static_cast<int>(std::max<long long>(left, 0));
        }
        if (backlogs_pending) {
            auto look = static_cast<int>(backlog_look_interval.count());
            timeout_ms = timeout_ms < 0 ? look : std::min(timeout_ms, look);
        }
        pollfd fds[4] = {{console_open ? qemu->stdout_fd() : -1, POLLIN, 0},
                         {errors_open ? qemu->stderr_fd() : -1, POLLIN, 0},
                         {signals.fd(), POLLIN, 0},
                         {watch->closed() ? -1 : watch->fd(), POLLIN, 0}};
        int ready = ::poll(fds, 4, timeout_ms);
        if (ready < 0 && errno != EINTR) {
            // Nothing can be watched any more: end QEMU rather than leave it unwatched.
            int error = errno;
            force_stop();
            return fail(ErrorKind::internal, "cannot wait for QEMU: {}", std::strerror(error));
        }
        char buffer[16384];
        if (fds[0].revents) {
            ssize_t n = ::read(qemu->stdout_fd(), buffer, sizeof buffer);
            if (n > 0) {
                write_all(log, {buffer, static_cast<std::size_t>(n)});
                console_lines.feed({buffer, static_cast<std::size_t>(n)}, on_line);
            } else if (n == 0 || errno != EINTR) {
                console_open = false;
            }
        }
        if (fds[1].revents) {
            ssize_t n = ::read(qemu->stderr_fd(), buffer, sizeof buffer);
            if (n > 0) {
                if (outcome.qemu_errors.size() < max_error_bytes)
                    outcome.qemu_errors.append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                errors_open = false;
            }
        }
        if (backlogs_pending)
            backlogs_pending = !widen_listen_backlogs_and_say(qemu->pid(), forwards) && Clock::now() < backlog_look_until;
        // After stderr: QEMU writes its reason there before it reports the stop.
        if (fds[3].revents) {
            auto stopped = watch->on_readable();
            if (stopped && !outcome.hypervisor_stop && qemu->running()) {
                outcome.hypervisor_stop = stopped;
                force_stop();
            }
        }
        if (fds[2].revents && signals.take()) {
            if (!outcome.stop_requested && qemu->running()) {
                outcome.stop_requested = true;
                observer.stopping(false);
                graceful_stop();
            } else if (qemu->running()) {
                observer.stopping(true);
                force_stop();
            }
        }
        if (deadline && Clock::now() >= *deadline && qemu->running()) {
            // The guest did not power off after its program ended, or ignored the stop.
            force_stop();
            deadline.reset();
        }
    }
    console_lines.finish(on_line);
    auto status = qemu->wait_for(std::chrono::seconds(5));
    if (!status) {
        force_stop();
        status = qemu->poll();
    }
    outcome.qemu_status = status.value_or(255);
    return outcome;
}

} // namespace uk::hypervisor
