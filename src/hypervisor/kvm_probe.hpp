// The KVM probe with QEMU (vm/kvm.hpp says why it exists): uk's kernel under KVM with the
// machine and CPU model a run would use, on a root that holds only uk-init, which sees
// "uk-probe" on its command line, says "uk-init: probe passed" and powers off.
#pragma once

#include "hypervisor/qemu_command.hpp"
#include "vm/kvm.hpp"

#include <chrono>
#include <filesystem>

namespace uk::hypervisor {

struct KvmProbeRequest {
    std::filesystem::path qemu;
    Machine machine = Machine::microvm;
    vm::ProbeGuest guest;
    // A guest that has not reached user space by then is taken as one KVM cannot run:
    // under KVM uk's kernel gets there in well under a second.
    std::chrono::milliseconds timeout{4000};
};

// Never takes much longer than the request's timeout and never leaves QEMU running.
vm::KvmProbe probe_kvm(const KvmProbeRequest& request);

} // namespace uk::hypervisor
