// Acting on a running instance from another uk process: stopping it the way a power
// button does, or at once.
#pragma once

#include "core/error.hpp"
#include "instance/store.hpp"
#include "vm/backend.hpp"

#include <chrono>

namespace uk::app {

// Waits for the instance's VM to end; false at the timeout.
bool wait_for_end(const instance::Record& record, const instance::Files& files, std::chrono::milliseconds timeout);

// The power button (uk-init gives the program SIGTERM and its grace period), then, after
// `timeout`, the VM is killed. Marks the record so the end reads "stopped", not "crashed".
struct Stopped {
    instance::InstanceStatus status;
    bool forced = false; // the VM had to be killed
};
Result<Stopped> stop(const instance::Store& store, instance::Record record, vm::Backend& backend,
                     std::chrono::milliseconds timeout);

// Kills the instance's VM at once (uk instance rm -f).
void kill_now(const instance::Store& store, const instance::Record& record);

} // namespace uk::app
