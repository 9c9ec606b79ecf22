// What uk reads of an ext4 file system's superblock: whether it was unmounted cleanly,
// and its size. Read directly (1 KiB at offset 1024), so listing volumes runs no tool.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <span>

namespace uk::volume {

struct Ext4Summary {
    std::uint64_t size_bytes = 0;
    std::uint64_t free_bytes = 0;
    // Unmounted cleanly: no journal left to replay, no error recorded. False after the
    // VM using it was killed (or the host lost power), until e2fsck has looked at it.
    bool clean = false;
};

// From the 1024 bytes of a superblock.
Result<Ext4Summary> parse_ext4_superblock(std::span<const std::byte> superblock);

// From a file holding the file system.
Result<Ext4Summary> read_ext4_summary(const std::filesystem::path& file);

} // namespace uk::volume
