#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"

#include <filesystem>

namespace uk::guest {

// The embedded kernel of `arch` as the file QEMU boots directly, unpacked on first use:
// x86-64's ELF (vmlinux.hpp says why) into <cache>/kernels/<bzImage SHA-256>/vmlinux,
// arm64's Image into <cache>/kernels/<vmlinuz.efi SHA-256>/Image.
Result<std::filesystem::path> direct_boot_kernel(const std::filesystem::path& cache, Arch arch = Arch::amd64);

} // namespace uk::guest
