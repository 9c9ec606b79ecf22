// The two ways `uk run` runs an instance: attached (the console on the terminal, Ctrl-C
// stops it, uk's status is the program's) and detached (QEMU in its own session, the
// console in the instance's log, uk returns once it is up).
#pragma once

#include "core/error.hpp"
#include "hypervisor/qemu_command.hpp"
#include "instance/store.hpp"

#include <chrono>
#include <string_view>

namespace uk::cli {

// Turns guest console lines into what the user sees: without `verbose`, no boot noise,
// and nothing from uk-init's status line on (all of it stays in the console log).
class ConsoleFilter {
public:
    explicit ConsoleFilter(bool verbose) : verbose_(verbose) {}
    // The part of the line to show, or nothing.
    std::optional<std::string_view> filter(std::string_view line);

private:
    bool verbose_;
    bool program_ended_ = false;
};

Result<int> run_attached(const instance::Store& store, instance::Record record, const hypervisor::QemuConfig& config,
                         bool verbose);

// Starts QEMU detached and waits until it answers on QMP and, when `ready_port` is given,
// until the guest accepts connections on it. On failure nothing is left running; the
// instance folder stays only when its console log explains the failure.
Result<instance::Record> start_detached(const instance::Store& store, instance::Record record,
                                        const hypervisor::QemuConfig& config, const hypervisor::PortForward* ready_port,
                                        std::chrono::milliseconds ready_timeout);

} // namespace uk::cli
