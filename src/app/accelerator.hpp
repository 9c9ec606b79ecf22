// Which accelerator a VM gets: TCG when asked; else KVM when /dev/kvm opens and uk's own
// kernel boots under it (vm/kvm.hpp); else TCG with one warning that says why. The
// probe's answer is kept in the cache, so it costs once per host boot.
#pragma once

#include "core/error.hpp"
#include "settings/settings.hpp"
#include "vm/backend.hpp"
#include "vm/kvm.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace uk::app {

struct AcceleratorDecision {
    vm::Accelerator accelerator = vm::Accelerator::tcg;
    std::string warning;               // one line when falling back to TCG, empty otherwise
    std::optional<vm::KvmProbe> probe; // when /dev/kvm opened and the probe was asked
};

// Runs the KVM probe or reads its kept answer; asked only when /dev/kvm opens and KVM
// would be chosen.
using KvmProber = std::function<vm::KvmProbe()>;

// The decision table, apart from how the probe is run. Asking for kvm explicitly makes a
// missing /dev/kvm or a failing probe an error that says why and what to do. `host` words
// the reason for a missing /dev/kvm (vm::check_kvm).
Result<AcceleratorDecision> decide_accelerator(settings::AcceleratorChoice choice, const KvmProber& probe,
                                               const std::filesystem::path& kvm_device = "/dev/kvm",
                                               const std::filesystem::path& cpuinfo = "/proc/cpuinfo",
                                               Arch host = host_arch());

struct AcceleratorRequest {
    settings::AcceleratorChoice choice = settings::AcceleratorChoice::automatic;
    bool firmware_machine = false; // --boot firmware runs on another machine type
    std::filesystem::path kernel;  // the run's kernel file; empty: uk's embedded kernel
    std::filesystem::path cache;   // state::Paths::cache
    std::filesystem::path kvm_device = "/dev/kvm";
    std::filesystem::path cpuinfo = "/proc/cpuinfo";
};

Result<AcceleratorDecision> choose_accelerator(vm::Backend& backend, const AcceleratorRequest& request);

// The probe's answer for this host: kept, or measured now and kept.
vm::KvmProbe probe_kvm(vm::Backend& backend, const AcceleratorRequest& request);

} // namespace uk::app
