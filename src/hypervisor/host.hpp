// What the host offers: the QEMU binary and whether KVM can be used.
#pragma once

#include "core/error.hpp"
#include "hypervisor/kvm_probe.hpp"
#include "hypervisor/qemu_command.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace uk::hypervisor {

struct QemuBinary {
    std::filesystem::path path;
    int major = 0;
    int minor = 0;
    std::string version; // as QEMU prints it, e.g. "7.2.22"
};

inline constexpr int minimum_qemu_major = 6;
inline constexpr int minimum_qemu_minor = 2;

// Finds qemu-system-x86_64 (override: the UK_QEMU environment variable, given here as
// `override_path`) and checks its version. Asking QEMU its version costs 0.1-0.2 s (it
// loads some sixty shared libraries), so the answer is kept in `cache`/qemu-version.json
// for as long as the binary's path, size, inode and modification time stay the same.
Result<QemuBinary> find_qemu(const std::optional<std::string>& override_path, const std::filesystem::path& cache);

// Parses the first line of `qemu-system-x86_64 --version`.
std::optional<QemuBinary> parse_qemu_version(const std::string& output);

enum class AcceleratorChoice { automatic, kvm, tcg };

Result<AcceleratorChoice> parse_accelerator(const std::string& name);

struct AcceleratorDecision {
    Accelerator accelerator = Accelerator::tcg;
    std::string warning; // one line when falling back to TCG, empty otherwise
    std::optional<KvmProbe> probe; // when /dev/kvm opened and the probe was asked
};

struct KvmAccess {
    bool usable = false;
    std::string reason; // why not, when not usable
    std::string fix;    // what the user can do about it
};

// Whether `kvm_device` opens read-write; when not, why, told apart by errno and by the
// CPU's flags in `cpuinfo` (no vmx/svm: no hardware virtualisation, or a VM without
// nested virtualisation; flags but no device: the module is not loaded).
KvmAccess check_kvm(const std::filesystem::path& kvm_device = "/dev/kvm",
                    const std::filesystem::path& cpuinfo = "/proc/cpuinfo");

// Runs the KVM probe (kvm_probe.hpp) or reads its kept answer; asked only when /dev/kvm
// opens and KVM would be chosen.
using KvmProber = std::function<KvmProbe()>;

// KVM when /dev/kvm opens and the probe boots the guest under it; otherwise TCG with a
// warning that says why. Asking for kvm explicitly makes either failure an error that
// says why and what to do.
Result<AcceleratorDecision> choose_accelerator(AcceleratorChoice choice, const KvmProber& probe,
                                               const std::filesystem::path& kvm_device = "/dev/kvm",
                                               const std::filesystem::path& cpuinfo = "/proc/cpuinfo");

// What would let KVM run uk's guest on a host whose /dev/kvm opens but whose probe fails:
// PVM hosts (the kvm_pvm module in `sys_module`) run only PVM guests; elsewhere, nested
// virtualisation or another QEMU.
std::string kvm_probe_fix(const std::filesystem::path& sys_module = "/sys/module");

// Debian's OVMF (apt-get install ovmf), QEMU's UEFI firmware.
Result<UefiFirmware> find_uefi_firmware(const std::filesystem::path& folder = "/usr/share/OVMF");

// SeaBIOS, which QEMU loads for q35 and pc by itself; uk only checks that it is there.
std::optional<std::filesystem::path> find_seabios();

} // namespace uk::hypervisor
