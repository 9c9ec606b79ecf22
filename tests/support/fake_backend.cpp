#include "support/fake_backend.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>

namespace uk::test {
namespace {

using Clock = std::chrono::steady_clock;

bool readable(int fd, std::chrono::milliseconds within)
{
    if (fd < 0) {
        std::this_thread::sleep_for(within);
        return false;
    }
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(within.count())) > 0;
}

} // namespace

Result<Process> stand_in_process(const std::filesystem::path& control_socket)
{
    return Process::spawn({.argv = {"sh", "-c", "sleep 600; :", "fake-hypervisor", control_socket.string()},
                           .stdin_stream = DevNull{},
                           .stdout_stream = DevNull{},
                           .stderr_stream = DevNull{}});
}

vm::Event FakeMachine::next(std::chrono::milliseconds timeout, int wake_fd)
{
    if (ended_)
        return vm::event::Ended{status_};
    if (killed_) {
        ended_ = true;
        status_ = 137;
        process_.kill();
        return vm::event::Ended{status_};
    }
    if (readable(wake_fd, std::chrono::milliseconds(0)))
        return vm::event::Woken{};
    if (script_.empty()) // a guest that runs until something stops it
        return readable(wake_fd, timeout) ? vm::Event(vm::event::Woken{}) : vm::Event(vm::event::Idle{});
    auto& step = script_.front();
    if (step.kind == FakeStep::Kind::pause) {
        auto slice = std::min(timeout, step.pause);
        auto started = Clock::now();
        bool woken = readable(wake_fd, slice);
        step.pause -= std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        if (step.pause.count() <= 0)
            script_.pop_front();
        return woken ? vm::Event(vm::event::Woken{}) : vm::Event(vm::event::Idle{});
    }
    auto current = step;
    script_.pop_front();
    switch (current.kind) {
    case FakeStep::Kind::running: return vm::event::Running{};
    case FakeStep::Kind::console: return vm::event::Console{current.text};
    case FakeStep::Kind::hypervisor_stop: return vm::event::HypervisorStop{current.text};
    case FakeStep::Kind::end:
        ended_ = true;
        status_ = current.status;
        process_.kill();
        return vm::event::Ended{status_};
    case FakeStep::Kind::pause: break;
    }
    return vm::event::Idle{};
}

bool FakeMachine::press_power_button()
{
    {
        std::lock_guard guard(log_->lock);
        log_->power_button_presses++;
    }
    if (obeys_)
        script_ = {FakeStep::console("uk-init: exit status 143\n"), FakeStep::end()};
    return true;
}

void FakeMachine::kill()
{
    {
        std::lock_guard guard(log_->lock);
        log_->kills++;
    }
    killed_ = true;
    script_.clear();
    process_.kill();
}

std::vector<std::string> FakeBackend::command_line(const vm::VmSpec& spec) const
{
    return {"fake-hypervisor", "--memory", std::to_string(spec.memory_mib)};
}

Result<std::unique_ptr<vm::Machine>> FakeBackend::start(const vm::VmSpec& spec, const std::filesystem::path&)
{
    {
        std::lock_guard guard(log->lock);
        log->started++;
    }
    auto process = stand_in_process(spec.control_socket);
    if (!process)
        return fail(process.error());
    auto machine = std::make_unique<FakeMachine>(std::deque<FakeStep>(script.begin(), script.end()),
                                                 obeys_power_button, log, std::move(*process));
    machine->set_diagnostics(diagnostics);
    return std::unique_ptr<vm::Machine>(std::move(machine));
}

Status FakeBackend::press_power_button(const std::filesystem::path&)
{
    {
        std::lock_guard guard(log->lock);
        log->power_button_presses++;
    }
    if (on_remote_power_button)
        on_remote_power_button();
    return {};
}

Result<vm::Readiness> FakeBackend::wait_until_guest_accepts(const std::filesystem::path&, const settings::PortMapping&,
                                                            std::chrono::milliseconds timeout,
                                                            const std::function<bool()>& alive)
{
    if (!readiness_watches_alive)
        return readiness;
    for (auto until = Clock::now() + timeout; Clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(10)))
        if (!alive())
            return vm::Readiness::vm_ended;
    return vm::Readiness::timed_out;
}

FakeStops::FakeStops() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) {}

void FakeStops::request()
{
    std::uint64_t one = 1;
    (void)!::write(fd_.get(), &one, sizeof one);
}

bool FakeStops::take()
{
    std::uint64_t value = 0;
    return ::read(fd_.get(), &value, sizeof value) == static_cast<ssize_t>(sizeof value);
}

} // namespace uk::test
