#pragma once

#include "core/error.hpp"

#include <filesystem>

namespace uk::guest {

// The embedded kernel as the ELF file QEMU boots directly (vmlinux.hpp says why),
// unpacked on first use into <cache>/kernels/<bzImage SHA-256>/vmlinux.
Result<std::filesystem::path> direct_boot_kernel(const std::filesystem::path& cache);

} // namespace uk::guest
