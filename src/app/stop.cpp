#include "app/stop.hpp"

#include <csignal>
#include <thread>

namespace uk::app {

using namespace std::chrono_literals;

bool wait_for_end(const instance::Record& record, const instance::Files& files, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (instance::qemu_alive(record.qemu_pid, files)) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

Result<Stopped> stop(const instance::Store& store, instance::Record record, vm::Backend& backend,
                     std::chrono::milliseconds timeout)
{
    auto files = store.files(record.name);
    if (!instance::qemu_alive(record.qemu_pid, files))
        return Stopped{instance::status_of(record, files), record.forced};
    record.stop_requested = true;
    if (auto saved = store.save(record); !saved)
        return fail(saved.error());
    bool pressed = backend.press_power_button(files.qmp_socket()).has_value();
    if (!pressed || !wait_for_end(record, files, timeout)) {
        kill_now(store, record);
        record.forced = true;
        if (auto saved = store.save(record); !saved)
            return fail(saved.error());
    }
    return Stopped{instance::status_of(record, files), record.forced};
}

void kill_now(const instance::Store& store, const instance::Record& record)
{
    auto files = store.files(record.name);
    if (instance::qemu_alive(record.qemu_pid, files))
        ::kill(record.qemu_pid, SIGKILL);
    wait_for_end(record, files, 5s);
}

} // namespace uk::app
