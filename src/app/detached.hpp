// uk run -d. A detached VM runs under a monitor: a uk process of its own
// ("uk instance monitor NAME", in its own session, so it outlives the terminal), which
// starts the VM, writes the console log and watches the hypervisor's run state with the
// same loop as an attached run (supervise.hpp). A guest the hypervisor stops by itself is
// therefore ended within moments and recorded as failed with its reason, instead of
// sitting paused with nobody looking. There is no daemon: the monitor lives exactly as
// long as its VM, and the VM dies with it.
#pragma once

#include "core/error.hpp"
#include "core/signals.hpp"
#include "core/unique_fd.hpp"
#include "instance/store.hpp"
#include "vm/backend.hpp"
#include "volume/store.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

namespace uk::app {

// A started monitor, seen from the process that started it.
class LaunchedMonitor {
public:
    virtual ~LaunchedMonitor() = default;
    // Where its one-line report arrives ("running", or "failed KIND\tMESSAGE").
    virtual int report_fd() const = 0;
    virtual bool wait_end(std::chrono::milliseconds timeout) = 0;
    virtual void kill() = 0;
    // It lives on after uk returns.
    virtual void release() = 0;
};

// Starts monitors: `uk instance monitor NAME` in production, something in-process in tests.
class MonitorLauncher {
public:
    virtual ~MonitorLauncher() = default;
    virtual Result<std::unique_ptr<LaunchedMonitor>> launch(const instance::Files& files, const std::string& name) = 0;
};

// The uk executable as the monitor, in a session of its own, its stderr in monitor.log.
class ProcessMonitorLauncher final : public MonitorLauncher {
public:
    explicit ProcessMonitorLauncher(std::filesystem::path uk_executable) : uk_(std::move(uk_executable)) {}
    Result<std::unique_ptr<LaunchedMonitor>> launch(const instance::Files& files, const std::string& name) override;

private:
    std::filesystem::path uk_;
};

struct DetachedStart {
    std::optional<settings::PortMapping> ready_port; // wait until the guest accepts on it
    std::chrono::milliseconds ready_timeout{120'000};
    std::chrono::milliseconds start_timeout{60'000}; // for the monitor's report
    bool keep_on_failure = false; // an instance started again keeps its folder whatever happens
};

// Starts the monitor for a record `store` already holds and returns once the VM runs and,
// with a ready port, once the guest accepted a connection on it. Watching the instance
// all along: one that fails or ends first is an error at once. On failure nothing is left
// running; the folder stays only when its logs explain what happened.
Result<instance::Record> start_detached(const instance::Store& store, instance::Record record, const vm::VmSpec& spec,
                                        vm::Backend& backend, MonitorLauncher& launcher, const DetachedStart& start);

// uk instance start: a detached instance that has ended (exited, stopped, crashed or
// failed) started again as it was recorded (vm.json: image, memory, ports, volumes, gdb
// stub), under the same name. The previous console log is kept as console.previous.log.
// What the host lacks now (a port taken, the image gone) is refused before anything
// changes, and the instance is kept whatever happens.
Result<instance::Record> start_again(const instance::Store& store, const std::string& name, vm::Backend& backend,
                                     MonitorLauncher& launcher, std::chrono::milliseconds ready_timeout);

// The monitor's life: takes the instance's volumes, starts its VM, writes its report to `report_fd` once the
// VM runs (or why it could not), then watches it to its end. Returns the monitor
// process's exit status, which nobody waits for.
int monitor(const instance::Store& store, const volume::Store& volumes, const std::string& name, vm::Backend& backend,
            int report_fd, StopRequests& stops);

} // namespace uk::app
