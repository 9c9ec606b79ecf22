// What the host offers: the QEMU binary and whether KVM can be used.
#pragma once

#include "core/error.hpp"
#include "hypervisor/qemu_command.hpp"

#include <filesystem>
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
};

// KVM when /dev/kvm can be opened read-write; otherwise TCG with a warning that says why
// and how to fix it. Asking for kvm explicitly makes its absence an error.
Result<AcceleratorDecision> choose_accelerator(AcceleratorChoice choice,
                                               const std::filesystem::path& kvm_device = "/dev/kvm");

} // namespace uk::hypervisor
