// Watching a running VM to its end: its console into the log and to a view, uk-init's
// "exit status N" line, the kernel's panic line, a stop the hypervisor made by itself
// (which ends the VM at once), and the user's stop requests: the first presses the power
// button (the program gets SIGTERM) with `stop_timeout` to go, the second, or the
// timeout, kills it. An attached `uk run` and a detached instance's monitor both run
// this loop.
#pragma once

#include "core/error.hpp"
#include "core/signals.hpp"
#include "guest/console_protocol.hpp"
#include "vm/backend.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace uk::app {

class RunView {
public:
    virtual ~RunView() = default;
    // The hypervisor finished starting and runs the guest.
    virtual void running() {}
    // Every line the guest prints on its console, without the line end.
    virtual void console_line(std::string_view line) { (void)line; }
    // The user asked to stop: gracefully first (forced == false), then at once.
    virtual void stopping(bool forced) { (void)forced; }
    // The hypervisor stopped the guest by itself (`said`: its words); called before the
    // VM is ended, so that whoever watches the VM's process learns why first.
    virtual void hypervisor_stopped(const std::string& run_state, const std::string& said)
    {
        (void)run_state, (void)said;
    }
};

struct RunOutcome {
    std::optional<int> program_status; // from uk-init's line
    int hypervisor_status = 0;         // the hypervisor process's exit status
    bool stop_requested = false;
    int stop_signal = 0;               // the signal behind the last stop request, when known
    bool forced = false;               // the VM had to be killed
    std::string panic_line;            // "Kernel panic - not syncing: ..." when the kernel panicked
    std::optional<guest::OomKill> oom_kill; // the last process the guest's OOM killer ended
    // The hypervisor stopped the guest by itself (KVM could not run it, a held panic, a
    // disk error): its run state. uk then ended the VM.
    std::optional<std::string> hypervisor_stop;
    std::string diagnostics; // what the hypervisor said about its trouble, one line
};

struct Supervision {
    std::filesystem::path console_log;
    bool append_to_log = false; // a restarted VM's console follows the earlier runs'
    // A chatty program writes hundreds of KB a second for as long as it runs: past this
    // size the log moves to console.log.1 (replacing an older one) and starts again, so
    // an instance keeps at most twice this on disk.
    std::uint64_t console_log_limit = 16ull << 20;
    std::chrono::milliseconds stop_timeout{20'000}; // a graceful stop's grace
    // After uk-init's status line, how long the VM has to power off by itself.
    std::chrono::milliseconds power_off_grace{5'000};
};

Result<RunOutcome> supervise(vm::Machine& machine, const Supervision& how, RunView& view, StopRequests& stops);

} // namespace uk::app
