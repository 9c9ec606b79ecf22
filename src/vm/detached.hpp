// uk run -d. A detached VM runs under a monitor: a uk process of its own
// ("uk instance monitor NAME", in its own session, so it outlives the terminal), which
// starts QEMU, writes the console log, widens the published ports' backlog and watches
// QEMU's run state as an attached run does. A guest that QEMU stops by itself (KVM's
// internal error, a held panic) is therefore ended within moments and recorded as failed
// with its reason, instead of sitting paused with nobody looking. There is no daemon: the
// monitor lives exactly as long as its QEMU, and QEMU dies with it.
#pragma once

#include "core/error.hpp"
#include "hypervisor/qemu_command.hpp"
#include "hypervisor/runner.hpp"
#include "instance/store.hpp"

#include <chrono>
#include <filesystem>

namespace uk::vm {

// What the monitor needs to start QEMU, kept in the instance folder (Files::launch()).
Status save_launch(const instance::Files& files, const hypervisor::RunRequest& request);
Result<hypervisor::RunRequest> load_launch(const instance::Files& files);

struct DetachedStart {
    std::filesystem::path uk_executable;           // runs the monitor
    const hypervisor::PortForward* ready_port = nullptr; // wait until the guest accepts on it
    std::chrono::milliseconds ready_timeout{120'000};
};

// Starts the monitor for a record already saved in `store` and returns once QEMU answers
// on QMP and, with a ready port, once the guest accepted a connection on it. Watching the
// guest all along: an instance that fails or ends first is an error at once. On failure
// nothing is left running; the folder stays only when its logs explain what happened.
Result<instance::Record> start_detached(const instance::Store& store, instance::Record record,
                                        const hypervisor::RunRequest& request, const DetachedStart& start);

// The monitor's life: starts QEMU for the instance, reports "started" on stdout (which
// start_detached reads), then runs it to its end. Returns the exit status of the monitor
// process, which nobody waits for.
int monitor(const instance::Store& store, const std::string& name);

} // namespace uk::vm
