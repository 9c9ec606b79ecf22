// Watching whether QEMU keeps the guest running. A /dev/kvm that opens can still be unable
// to run a guest (docs/decisions.md, "Accelerator"): QEMU then stops the guest with an
// internal error and stays paused for ever, printing nothing more. Nothing exits, so a
// waiter that only watches the process and the console waits for ever too. QEMU does
// announce it on QMP (a STOP event, then the run state "internal-error"), so whoever waits
// on a guest also holds one of these.
#pragma once

#include "core/error.hpp"
#include "core/unique_fd.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace uk::hypervisor {

// QEMU stopped the guest by itself: its QMP run state says why.
struct HypervisorStop {
    std::string status; // "internal-error", "guest-panicked", "io-error", "paused", ...
};

// True for the run states in which QEMU holds a guest that nobody asked to hold: the
// accelerator failed (internal-error), the guest panicked, a disk failed, a watchdog
// fired, or a stop that uk never sends. False for running, for states on the way to
// running, and for "debug" (a debugger's breakpoint).
bool is_hypervisor_stop(std::string_view status);

// What QEMU said about its trouble, from what it wrote on stderr: the first line, without
// the "qemu-system-x86_64: " prefix, plus "(emulation failure)" when KVM said so.
std::string qemu_reason(std::string_view qemu_errors);

// A QMP connection over a socket pair whose other end QEMU inherits at start
// (qemu_command.hpp: QemuConfig::watch_fd): nobody else can take it, it exists before
// the guest runs its first instruction, and it ends when QEMU does.
class GuestWatch {
public:
    static Result<GuestWatch> create();

    GuestWatch(GuestWatch&&) noexcept = default;
    GuestWatch& operator=(GuestWatch&&) noexcept = default;

    // QEMU's end, to be inherited by QEMU; close it in uk once QEMU has started.
    int qemu_end() const { return qemu_end_.get(); }
    void close_qemu_end() { qemu_end_.reset(); }

    // Poll this for POLLIN.
    int fd() const { return own_end_.get(); }
    // Reads what QEMU sent. Returns the stop once QEMU reported one (and then again on
    // every later call); nothing while the guest runs.
    std::optional<HypervisorStop> on_readable();
    // QEMU closed its end: it has exited.
    bool closed() const { return closed_; }
    // QEMU answered the capabilities: its main loop runs, so it has finished starting
    // (devices created, published ports bound).
    bool answered() const { return answered_; }
    // Sends a command without arguments ("system_powerdown"); its answer is not waited for.
    // False when QEMU is gone.
    bool send_command(std::string_view command);
    // A debugger on the gdb stub pauses the guest when it attaches and whenever its user
    // interrupts: "paused" is then not a stop.
    void allow_pauses() { pauses_allowed_ = true; }

private:
    GuestWatch(UniqueFd own_end, UniqueFd qemu_end);
    void send(std::string_view command);
    void handle(std::string_view line);

    UniqueFd own_end_;
    UniqueFd qemu_end_;
    std::string partial_;
    std::optional<HypervisorStop> stop_;
    bool closed_ = false;
    bool answered_ = false;
    bool pauses_allowed_ = false;
};

} // namespace uk::hypervisor
