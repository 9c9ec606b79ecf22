#include "hypervisor/qemu_machine.hpp"

#include "hypervisor/listen_backlog.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace uk::hypervisor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t max_error_bytes = 64 * 1024;
// QEMU opens the published ports while it starts, before the guest runs; uk looks for
// them this often, for at most this long.
constexpr auto backlog_look_interval = std::chrono::milliseconds(20);
constexpr auto backlog_look_limit = std::chrono::seconds(30);

} // namespace

Result<std::unique_ptr<QemuMachine>> QemuMachine::start(QemuConfig config, const std::filesystem::path& own_log)
{
    UniqueFd log;
    if (!own_log.empty()) {
        log.reset(::open(own_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!log)
            return fail(ErrorKind::io, "cannot write {}: {}", own_log.string(), std::strerror(errno));
    }
    auto watch = GuestWatch::create();
    if (!watch)
        return fail(watch.error());
    config.watch_fd = watch->qemu_end();
    if (config.debugger)
        watch->allow_pauses();
    auto qemu = Process::spawn({.argv = qemu_argv(config),
                                .stdin_stream = DevNull{},
                                .stdout_stream = Pipe{},
                                .stderr_stream = Pipe{},
                                .inherited_fds = {watch->qemu_end()}});
    watch->close_qemu_end();
    if (!qemu)
        return fail(qemu.error());
    return std::make_unique<QemuMachine>(std::move(*qemu), std::move(*watch), vm::tcp_ports(config.network),
                                         std::move(log));
}

QemuMachine::QemuMachine(Process qemu, GuestWatch watch, std::vector<settings::PortMapping> published, UniqueFd own_log)
    : qemu_(std::move(qemu)), watch_(std::move(watch)), published_(std::move(published)),
      widen_until_(Clock::now() + backlog_look_limit), own_log_(std::move(own_log))
{
}

bool QemuMachine::press_power_button()
{
    // On the private connection, which nobody else can be holding.
    return qemu_.running() && watch_.send_command("system_powerdown");
}

void QemuMachine::read_errors()
{
    char buffer[8192];
    ssize_t n = ::read(qemu_.stderr_fd(), buffer, sizeof buffer);
    if (n > 0) {
        if (errors_.size() < max_error_bytes)
            errors_.append(buffer, static_cast<std::size_t>(n));
        if (own_log_)
            (void)!::write(own_log_.get(), buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
        errors_open_ = false;
    }
}

vm::Event QemuMachine::end()
{
    if (!ended_) {
        // Both pipes closed: QEMU is exiting, or already has.
        auto status = qemu_.wait_for(std::chrono::seconds(5));
        if (!status) {
            qemu_.kill();
            status = qemu_.poll();
        }
        ended_ = vm::event::Ended{status.value_or(255)};
    }
    return *ended_;
}

vm::Event QemuMachine::next(std::chrono::milliseconds timeout, int wake_fd)
{
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (!pending_.empty()) {
            auto event = std::move(pending_.front());
            pending_.pop_front();
            return event;
        }
        if (ended_ || (!console_open_ && !errors_open_))
            return end();
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() < 0)
            left = std::chrono::milliseconds(0);
        bool widening = !published_.empty();
        auto wait = widening ? std::min(left, std::chrono::milliseconds(backlog_look_interval)) : left;
        pollfd fds[4] = {{console_open_ ? qemu_.stdout_fd() : -1, POLLIN, 0},
                         {errors_open_ ? qemu_.stderr_fd() : -1, POLLIN, 0},
                         {watch_.closed() ? -1 : watch_.fd(), POLLIN, 0},
                         {wake_fd, POLLIN, 0}};
        int ready = ::poll(fds, 4, static_cast<int>(std::min<long long>(wait.count(), 24 * 3600 * 1000)));
        if (ready < 0 && errno != EINTR) {
            // Nothing can be watched any more: end QEMU rather than leave it unwatched.
            qemu_.kill();
            continue;
        }
        if (widening && (widen_listen_backlogs_and_say(qemu_.pid(), published_) || Clock::now() > widen_until_))
            published_.clear();
        // What QEMU prints comes before the stop it reports, so stderr is read first.
        if (fds[1].revents)
            read_errors();
        if (fds[0].revents) {
            char buffer[16384];
            ssize_t n = ::read(qemu_.stdout_fd(), buffer, sizeof buffer);
            if (n > 0)
                pending_.push_back(vm::event::Console{std::string(buffer, static_cast<std::size_t>(n))});
            else if (n == 0 || errno != EINTR)
                console_open_ = false;
        }
        if (fds[2].revents) {
            auto stopped = watch_.on_readable();
            if (watch_.answered() && !running_reported_) {
                running_reported_ = true;
                pending_.push_back(vm::event::Running{});
            }
            if (stopped && !stop_reported_ && qemu_.running()) {
                stop_reported_ = true;
                // Whatever QEMU still has to say about it.
                pollfd rest{errors_open_ ? qemu_.stderr_fd() : -1, POLLIN, 0};
                while (errors_open_ && ::poll(&rest, 1, 50) > 0)
                    read_errors();
                pending_.push_back(vm::event::HypervisorStop{stopped->status});
            }
        }
        if (!pending_.empty())
            continue;
        if (fds[3].revents)
            return vm::event::Woken{};
        if (Clock::now() >= deadline)
            return vm::event::Idle{};
    }
}

} // namespace uk::hypervisor
