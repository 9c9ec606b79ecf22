// Which accelerator a VM gets: TCG when asked, else KVM when /dev/kvm opens and uk's own
// kernel boots under it (hypervisor/kvm_probe.hpp), else TCG with a warning. The probe's
// answer is kept in the cache, so it costs once per host boot.
#pragma once

#include "core/error.hpp"
#include "hypervisor/host.hpp"
#include "hypervisor/kvm_probe.hpp"

#include <filesystem>

namespace uk::vm {

struct AcceleratorRequest {
    hypervisor::AcceleratorChoice choice = hypervisor::AcceleratorChoice::automatic;
    std::filesystem::path qemu;
    hypervisor::Machine machine = hypervisor::Machine::microvm;
    std::filesystem::path kernel; // the run's kernel file; empty: uk's embedded kernel
    std::filesystem::path cache;  // state::Paths::cache
    std::filesystem::path kvm_device = "/dev/kvm";
    std::filesystem::path cpuinfo = "/proc/cpuinfo";
};

Result<hypervisor::AcceleratorDecision> choose_accelerator(const AcceleratorRequest& request);

// The probe's answer for this host: kept, or measured now and kept.
hypervisor::KvmProbe probe_kvm(const AcceleratorRequest& request);

} // namespace uk::vm
