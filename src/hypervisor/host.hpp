// What the host offers QEMU: the binary and its version, and the firmware it boots.
#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"
#include "vm/spec.hpp"

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
// For arm64 guests the same for qemu-system-aarch64 (override: UK_QEMU_ARM64), kept in
// qemu-version-arm64.json.
Result<QemuBinary> find_qemu(const std::optional<std::string>& override_path, const std::filesystem::path& cache,
                             Arch arch = Arch::amd64);

// Parses the first line of `qemu-system-x86_64 --version`.
std::optional<QemuBinary> parse_qemu_version(const std::string& output);

// Debian's OVMF (apt-get install ovmf), QEMU's UEFI firmware.
Result<vm::UefiFirmware> find_uefi_firmware(const std::filesystem::path& folder = "/usr/share/OVMF");

// Debian's AAVMF (apt-get install qemu-efi-aarch64), the UEFI firmware of arm64 guests.
Result<vm::UefiFirmware> find_arm64_uefi_firmware(const std::filesystem::path& folder = "/usr/share/AAVMF");

// SeaBIOS, which QEMU loads for q35 and pc by itself; uk only checks that it is there.
std::optional<std::filesystem::path> find_seabios();

} // namespace uk::hypervisor
