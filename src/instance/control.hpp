// Acting on a running instance from another uk process: stopping it the way a power
// button does, waiting for it to end, and waiting until its published port answers.
#pragma once

#include "core/error.hpp"
#include "hypervisor/qemu_command.hpp"
#include "instance/store.hpp"

#include <chrono>
#include <functional>

namespace uk::instance {

// Waits for the instance's QEMU to end; false at the timeout.
bool wait_for_end(const Record& record, const Files& files, std::chrono::milliseconds timeout);

// ACPI power button (uk-init gives the program SIGTERM and its grace period), then, after
// `timeout`, QEMU is killed. Marks the record so the end reads "stopped", not "crashed".
struct Stopped {
    InstanceStatus status;
    bool forced = false; // QEMU had to be killed
};
Result<Stopped> stop(const Store& store, Record record, std::chrono::milliseconds timeout);

// Kills the instance's QEMU at once (uk instance rm -f).
void kill_now(const Store& store, Record record);

// Until the guest accepts a TCP connection on `forward` (not just QEMU's user network
// taking it on the guest's behalf), QEMU ends, or the timeout passes.
enum class Readiness { ready, vm_ended, timed_out };
Result<Readiness> wait_until_port_answers(const Files& files, int qemu_pid, const hypervisor::PortForward& forward,
                                          std::chrono::milliseconds timeout);

} // namespace uk::instance
