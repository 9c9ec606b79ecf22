// The seam between what uk does with a VM (src/app) and the hypervisor that runs it.
// QEMU is the one backend today (hypervisor/qemu_backend.hpp); tests drive the use cases
// with a fake (tests/support/fake_backend.hpp). docs/architecture.md says where another
// one would plug in.
#pragma once

#include "core/error.hpp"
#include "vm/kvm.hpp"
#include "vm/spec.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace uk::vm {

// What a running VM did since the last look.
namespace event {
struct Running {}; // the hypervisor finished starting (devices, ports) and runs the guest; said once
struct Console {
    std::string bytes; // from the guest's serial console, as they came
};
struct HypervisorStop {
    std::string run_state; // the hypervisor holds the guest: "internal-error", "guest-panicked", ...
};
struct Ended {
    int status = 0; // the hypervisor process's exit status (shell style)
};
struct Woken {}; // the descriptor given to next() became readable
struct Idle {};  // nothing happened within the timeout
} // namespace event
using Event = std::variant<event::Running, event::Console, event::HypervisorStop, event::Ended, event::Woken, event::Idle>;

// A VM this process started. It dies with the object.
class Machine {
public:
    virtual ~Machine() = default;
    virtual int pid() const = 0;
    // The next thing that happens, waiting at most `timeout`; a readable `wake_fd` (-1 for
    // none) ends the wait with Woken. After Ended, next() reports Ended again.
    virtual Event next(std::chrono::milliseconds timeout, int wake_fd) = 0;
    // What the hypervisor said about its trouble so far (its stderr), for messages.
    virtual std::string diagnostics() const = 0;
    // The ACPI power button: uk-init gives the program SIGTERM and its grace period.
    // False when it could not be pressed (the VM is then best killed).
    virtual bool press_power_button() = 0;
    // Ends the VM at once; next() then reports Ended.
    virtual void kill() = 0;
};

enum class Readiness { ready, vm_ended, timed_out };

class Backend {
public:
    virtual ~Backend() = default;

    // "QEMU": how messages name it.
    virtual std::string name() const = 0;
    // The command line that starts this VM, without what uk adds to watch it (--dry-run).
    virtual std::vector<std::string> command_line(const VmSpec& spec) const = 0;
    // Starts the VM; what the hypervisor says about itself also goes to `own_log` (none
    // when empty).
    virtual Result<std::unique_ptr<Machine>> start(const VmSpec& spec, const std::filesystem::path& own_log) = 0;

    // From another process, through a running VM's control socket: the power button...
    virtual Status press_power_button(const std::filesystem::path& control_socket) = 0;
    // ...and waiting until the guest itself accepted a TCP connection on `port` (not the
    // hypervisor's NAT on its behalf), `alive()` turns false, or the timeout passes.
    virtual Result<Readiness> wait_until_guest_accepts(const std::filesystem::path& control_socket,
                                                       const settings::PortMapping& port,
                                                       std::chrono::milliseconds timeout,
                                                       const std::function<bool()>& alive) = 0;

    // Boots `guest` under KVM to prove that this host's KVM runs it (vm/kvm.hpp), on the
    // machine direct boot uses or the one firmware boot uses.
    virtual KvmProbe probe_kvm(const ProbeGuest& guest, bool firmware_machine) = 0;
    // What identifies the hypervisor binary here (part of the probe's cache key).
    virtual std::string identity() const = 0;
    // The UEFI firmware it boots firmware-boot VMs of `arch` with (code, and the variables
    // to copy): OVMF for x86-64, AAVMF for arm64.
    virtual Result<UefiFirmware> uefi_firmware(Arch arch = Arch::amd64) const = 0;
};

} // namespace uk::vm
