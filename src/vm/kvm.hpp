// KVM on this host: whether /dev/kvm opens, and whether the KVM behind it runs uk's
// guest. The second needs a boot: hosts that offer KVM only to guests built for them
// (PVM), containers handed a /dev/kvm they cannot use, nested setups with a broken MSR
// or CPUID all open it, and then the hypervisor exits at start or stops the guest in
// early boot. So uk boots its own kernel under KVM, on a root that holds only uk-init,
// which powers off as soon as it runs (a backend's probe_kvm), and keeps the answer
// until the host, the hypervisor, the kernel or /dev/kvm changes.
#pragma once

#include "core/arch.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace uk::vm {

struct KvmAccess {
    bool usable = false;
    std::string reason; // why not, when not usable
    std::string fix;    // what the user can do about it
};

// Whether `kvm_device` opens read-write; when not, why, told apart by errno and, on an
// x86-64 host, by the CPU's flags in `cpuinfo` (no vmx/svm: no hardware virtualisation, or
// a VM without nested virtualisation; flags but no device: the module is not loaded). An
// arm64 CPU names no such flag: there the kernel has KVM only when it was started at EL2.
KvmAccess check_kvm(const std::filesystem::path& kvm_device = "/dev/kvm",
                    const std::filesystem::path& cpuinfo = "/proc/cpuinfo", Arch host = host_arch());

// What the probe boots.
struct ProbeGuest {
    Arch arch = Arch::amd64; // the host's: KVM runs guests of its own architecture only
    std::filesystem::path kernel;
    std::string kernel_sha256; // part of the cache key
    std::filesystem::path root; // image/probe_root.hpp: uk-init and nothing else
};

struct KvmProbe {
    bool boots = false;
    std::string reason; // when it does not: what the hypervisor reported, in its words where it gave any
    std::chrono::milliseconds took{0};
    bool cached = false; // read from the cache, not measured now
};

// What would let KVM run uk's guest on a host whose /dev/kvm opens but whose probe fails:
// PVM hosts (the kvm_pvm module in `sys_module`) run only PVM guests; elsewhere, nested
// virtualisation or another hypervisor build.
std::string kvm_probe_fix(const std::filesystem::path& sys_module = "/sys/module");

// What the probe's answer depends on: this boot of the host, the hypervisor binary
// (`hypervisor`, the backend's identity), the kernel, /dev/kvm itself and the machine.
std::string kvm_probe_key(const std::string& hypervisor, const std::string& kernel_sha256, bool firmware_machine,
                          const std::filesystem::path& kvm_device,
                          const std::filesystem::path& boot_id = "/proc/sys/kernel/random/boot_id");

// The answer kept in `cache_file` for this key, if any.
std::optional<KvmProbe> cached_kvm_probe(const std::filesystem::path& cache_file, const std::string& key);
// Keeps the answer for this key (a cache that cannot be written costs the next run a
// probe); answers from earlier boots of the host are dropped.
void keep_kvm_probe(const std::filesystem::path& cache_file, const std::string& key, const KvmProbe& probe);

} // namespace uk::vm
