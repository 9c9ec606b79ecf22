#include "app/stop.hpp"

#include <csignal>
#include <functional>
#include <thread>

namespace uk::app {

using namespace std::chrono_literals;

namespace {

// Polls `alive` until it is false (true) or the timeout passes (false).
bool wait_while(const std::function<bool()>& alive, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (alive()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

} // namespace

bool wait_for_end(const instance::Record& record, const instance::Files& files, std::chrono::milliseconds timeout)
{
    return wait_while([&] { return instance::qemu_alive(record.qemu_pid, files); }, timeout);
}

Result<Stopped> stop(const instance::Store& store, instance::Record record, vm::Backend& backend,
                     std::chrono::milliseconds timeout)
{
    auto files = store.files(record.name);
    bool monitored = instance::monitor_alive(record);
    if (!instance::qemu_alive(record.qemu_pid, files) && !monitored)
        return Stopped{instance::status_of(record, files), record.forced};
    record.stop_requested = true;
    if (auto saved = store.save(record); !saved)
        return fail(saved.error());
    // A detached instance's monitor presses the button itself and, told to stop, starts
    // nothing again: its restart policy ends here, also between two runs.
    bool pressed = monitored ? ::kill(record.monitor_pid, SIGTERM) == 0
                             : backend.press_power_button(files.qmp_socket()).has_value();
    if (monitored) {
        if (auto latest = store.load(record.name))
            record.qemu_pid = latest->qemu_pid;
    }
    if (!pressed || !wait_for_end(record, files, timeout)) {
        kill_now(store, record);
        record.forced = true;
        if (auto saved = store.save(record); !saved)
            return fail(saved.error());
    }
    if (monitored && !wait_while([&] { return instance::monitor_alive(record); }, 5s))
        ::kill(record.monitor_pid, SIGKILL);
    if (auto latest = store.load(record.name))
        record = *latest;
    return Stopped{instance::status_of(record, files), record.forced};
}

void kill_now(const instance::Store& store, const instance::Record& record)
{
    auto files = store.files(record.name);
    // The monitor first, or its restart policy would start the VM again.
    if (instance::monitor_alive(record))
        ::kill(record.monitor_pid, SIGKILL);
    auto latest = store.load(record.name).value_or(record);
    if (instance::qemu_alive(latest.qemu_pid, files))
        ::kill(latest.qemu_pid, SIGKILL);
    wait_for_end(latest, files, 5s);
}

} // namespace uk::app
