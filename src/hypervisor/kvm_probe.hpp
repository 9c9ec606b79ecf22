// Does the host's KVM run uk's guest? A /dev/kvm that opens does not say: hosts that offer
// KVM only to guests built for them (PVM), containers handed a /dev/kvm they cannot use,
// nested setups with a broken MSR or CPUID all open it, and then QEMU exits at start or
// stops the guest in early boot. Only a boot proves it, so uk boots its own kernel under
// KVM, with the machine and CPU model a run would use, on a root that holds only uk-init,
// which powers off as soon as it runs. Under KVM that takes a few tenths of a second; the
// answer is kept until the host, QEMU, the kernel or /dev/kvm changes.
#pragma once

#include "hypervisor/qemu_command.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace uk::hypervisor {

// What the probe boots.
struct ProbeGuest {
    std::filesystem::path kernel;
    std::string kernel_sha256; // part of the cache key
    std::filesystem::path root; // image/probe_root.hpp
};

struct KvmProbeRequest {
    std::filesystem::path qemu;
    Machine machine = Machine::microvm;
    ProbeGuest guest;
    // A guest that has not reached user space by then is taken as one KVM cannot run:
    // under KVM uk's kernel gets there in well under a second.
    std::chrono::milliseconds timeout{4000};
};

struct KvmProbe {
    bool boots = false;
    std::string reason; // when it does not: what QEMU reported, in its words where it gave any
    std::chrono::milliseconds took{0};
    bool cached = false; // read from the cache, not measured now
};

// Boots the probe guest under KVM; never takes much longer than the request's timeout and
// never leaves QEMU running.
KvmProbe probe_kvm(const KvmProbeRequest& request);

// What the probe's answer depends on: this boot of the host, the QEMU binary, the
// kernel, /dev/kvm itself and the machine type.
std::string kvm_probe_key(const KvmProbeRequest& request, const std::filesystem::path& kvm_device,
                          const std::filesystem::path& boot_id = "/proc/sys/kernel/random/boot_id");

// The answer kept in `cache_file` for this key, if any.
std::optional<KvmProbe> cached_kvm_probe(const std::filesystem::path& cache_file, const std::string& key);
// Keeps the answer for this key (a cache that cannot be written costs the next run a probe).
void keep_kvm_probe(const std::filesystem::path& cache_file, const std::string& key, const KvmProbe& probe);

} // namespace uk::hypervisor
