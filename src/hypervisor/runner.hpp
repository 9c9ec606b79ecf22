// Runs a VM in the foreground: starts QEMU, streams the guest console, reads uk-init's
// "uk-init: exit status N" line, and turns a stop request (SIGINT, SIGTERM, SIGHUP to
// uk) into the ACPI power button, then a forced stop if the guest does not go in time.
// It watches QEMU's run state all along (guest_watch.hpp): a guest that QEMU stops by
// itself ends the run at once. Whatever happens, no QEMU outlives the call.
#pragma once

#include "core/error.hpp"
#include "hypervisor/guest_watch.hpp"
#include "hypervisor/qemu_command.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uk::hypervisor {

class RunObserver {
public:
    virtual ~RunObserver() = default;
    // QEMU is running as this process.
    virtual void started(int qemu_pid) { (void)qemu_pid; }
    // Every line the guest prints on its console, without the line end.
    virtual void console_line(std::string_view line) = 0;
    // The user asked to stop: gracefully first (forced == false), then at once.
    virtual void stopping(bool forced) = 0;
};

struct RunRequest {
    // QEMU's command line (qemu_argv), without the watch: run_vm adds its own.
    std::vector<std::string> qemu_argv;
    std::vector<PortForward> tcp_forwards; // published ports, whose listen backlog is widened
    std::filesystem::path qmp_socket;      // where the graceful stop presses the power button
    std::filesystem::path console_log;
    // How long a graceful stop may take before QEMU is killed.
    std::chrono::seconds stop_timeout{20};
};

struct RunOutcome {
    std::optional<int> program_status; // from uk-init's line
    int qemu_status = 0;
    bool stop_requested = false;
    bool forced = false;               // QEMU had to be killed
    std::string qemu_errors;           // what QEMU wrote to stderr
    std::string panic_line;            // "Kernel panic - not syncing: ..." when the kernel panicked
    // QEMU stopped the guest by itself (KVM could not run it, a panic, a disk error); uk
    // then ended QEMU at once.
    std::optional<HypervisorStop> hypervisor_stop;
};

// The request for running this QEMU configuration.
RunRequest run_request(const QemuConfig& config, std::filesystem::path console_log);

Result<RunOutcome> run_vm(const RunRequest& request, RunObserver& observer);

// uk-init's status line, possibly preceded on the same line by output without a newline.
std::optional<int> parse_exit_status_line(std::string_view line);

} // namespace uk::hypervisor
