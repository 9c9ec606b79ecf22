// What every uk image boots: the prebuilt kernel and uk-init of its architecture, all
// inside the uk executable (docs/guest.md).
#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace uk::guest {

// The kernel's record, written by src/kernel-prebuilt/build.sh.
struct KernelRecord {
    std::string release;        // "6.1.192"
    std::string source_package; // "linux-source-6.1"
    std::string source_version; // Debian package version
    std::string compression;    // of the kernel's payload: "xz"
    unsigned hz = 0;            // CONFIG_HZ: timer ticks per second
    std::string sha256;         // of the file uk carries: bzImage, arm64/vmlinuz.efi
    std::uint64_t size = 0;
};

// Below this much memory uk's kernel and uk-init do not come up: the kernel alone (uk-init
// and a static program) boots at 21 MiB and runs out of memory at 20; 3 MiB of margin
// (docs/guest.md, "Memory").
inline constexpr std::uint64_t minimum_memory_mib = 24;

std::span<const std::byte> kernel_image(Arch arch = Arch::amd64); // bzImage, or arm64's vmlinuz.efi
KernelRecord kernel_record(Arch arch = Arch::amd64);
std::span<const std::byte> init_program(Arch arch = Arch::amd64); // uk-init, a static ELF of that arch

} // namespace uk::guest
