#include "app/supervise.hpp"

#include "core/unique_fd.hpp"
#include "guest/console_protocol.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <type_traits>
#include <unistd.h>

namespace uk::app {
namespace {

using Clock = std::chrono::steady_clock;

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
            return; // a full disk must not stop the VM; the console still reaches its view
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

// The console log, capped: the older half moves to NAME.1 when it is full.
class ConsoleLog {
public:
    ConsoleLog(std::filesystem::path path, std::uint64_t limit) : path_(std::move(path)), limit_(limit) {}
    bool open(bool append = false)
    {
        fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0600));
        std::error_code ec;
        auto size = append ? std::filesystem::file_size(path_, ec) : 0;
        written_ = ec ? 0 : size;
        return bool(fd_);
    }
    void write(std::string_view bytes)
    {
        if (written_ + bytes.size() > limit_ && written_ > 0) {
            auto older = path_;
            older += ".1";
            std::error_code ec;
            std::filesystem::rename(path_, older, ec);
            if (!open())
                return;
        }
        write_all(fd_.get(), bytes);
        written_ += bytes.size();
    }

private:
    std::filesystem::path path_;
    std::uint64_t limit_;
    UniqueFd fd_;
    std::uint64_t written_ = 0;
};

} // namespace

Result<RunOutcome> supervise(vm::Machine& machine, const Supervision& how, RunView& view, StopRequests& stops)
{
    ConsoleLog log(how.console_log, how.console_log_limit);
    if (!log.open(how.append_to_log)) {
        int error = errno;
        machine.kill();
        return fail(ErrorKind::io, "cannot write the console log {}: {}", how.console_log.string(), std::strerror(error));
    }
    RunOutcome outcome;
    LineSplitter lines;
    std::optional<Clock::time_point> deadline;
    auto on_line = [&](std::string_view line) {
        view.console_line(line);
        if (auto status = guest::find_exit_status_line(line); status && !outcome.program_status) {
            outcome.program_status = status->status;
            deadline = Clock::now() + how.power_off_grace;
        }
        if (guest::is_kernel_panic_line(line) && outcome.panic_line.empty())
            outcome.panic_line = std::string(line);
        if (auto killed = guest::find_oom_kill(line))
            outcome.oom_kill = std::move(*killed);
    };
    auto kill = [&] {
        outcome.forced = true;
        machine.kill();
    };

    for (bool ended = false; !ended;) {
        auto wait = std::chrono::milliseconds(60'000);
        if (deadline)
            wait = std::max(std::chrono::milliseconds(0),
                            std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()));
        std::visit(
            [&](auto&& event) {
                using Kind = std::decay_t<decltype(event)>;
                if constexpr (std::is_same_v<Kind, vm::event::Running>) {
                    view.running();
                } else if constexpr (std::is_same_v<Kind, vm::event::Console>) {
                    log.write(event.bytes);
                    lines.feed(event.bytes, on_line);
                } else if constexpr (std::is_same_v<Kind, vm::event::HypervisorStop>) {
                    outcome.hypervisor_stop = event.run_state;
                    view.hypervisor_stopped(event.run_state, machine.diagnostics());
                    kill();
                } else if constexpr (std::is_same_v<Kind, vm::event::Ended>) {
                    lines.finish(on_line);
                    outcome.hypervisor_status = event.status;
                    ended = true;
                } else if constexpr (std::is_same_v<Kind, vm::event::Woken>) {
                    if (!stops.take())
                        return;
                    outcome.stop_signal = stops.last_signal();
                    if (!outcome.stop_requested) {
                        outcome.stop_requested = true;
                        view.stopping(false);
                        if (!machine.press_power_button())
                            kill();
                        deadline = Clock::now() + how.stop_timeout;
                    } else {
                        view.stopping(true);
                        kill();
                    }
                }
            },
            machine.next(wait, stops.fd()));
        if (!ended && deadline && Clock::now() >= *deadline) {
            // The guest did not power off after its program ended, or ignored the stop.
            kill();
            deadline.reset();
        }
    }
    outcome.diagnostics = machine.diagnostics();
    return outcome;
}

} // namespace uk::app
