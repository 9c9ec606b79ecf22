// How much memory this host has: a VM asking for more than that cannot start (QEMU fails
// with "Cannot allocate memory" after uk has built and prepared everything).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace uk::vm {

// MemTotal from /proc/meminfo, in MiB; empty when it cannot be read.
std::optional<std::uint64_t> host_memory_mib(const std::filesystem::path& meminfo = "/proc/meminfo");

} // namespace uk::vm
