// mke2fs, e2fsck and resize2fs (e2fsprogs), which make, check and grow a volume's ext4
// file system in its file without root and without a loop device.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace uk::volume {

using Cancelled = std::function<bool()>;

// The tool on PATH, else where Debian installs it (/usr/sbin is not on a user's PATH).
Result<std::filesystem::path> e2fsprogs_tool(const std::string& name);

// An ext4 file system with its journal filling `file` (made sparse, `size_bytes` long),
// its root owned by root (the guest's program runs as root), and the contents of `from`
// when given.
Status make_ext4(const std::filesystem::path& file, std::uint64_t size_bytes, const std::string& label,
                 const std::optional<std::filesystem::path>& from, const Cancelled& cancelled);

// e2fsck -p: replays the journal and repairs what is safe to repair without asking.
// Returns e2fsck's summary line ("data: 11/65536 files ..."); what it cannot repair is
// an error that says how to look further.
Result<std::string> check_ext4(const std::filesystem::path& file, bool force, const Cancelled& cancelled);

// Grows the file to `size_bytes` and the file system to fill it (offline).
Status grow_ext4(const std::filesystem::path& file, std::uint64_t size_bytes, const Cancelled& cancelled);

} // namespace uk::volume
