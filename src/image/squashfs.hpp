// Writes a FileTree as a SquashFS file system with libsquashfs (squashfs-tools-ng), at
// an offset inside an open file: the root partition of an image is written in place.
#pragma once

#include "core/error.hpp"
#include "image/file_tree.hpp"
#include "settings/settings.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace uk::image {

// How the root's file data is stored. zstd: smallest; lz4: fastest to decompress of the
// two; none: no decompression at all in the guest (metadata stays lz4-compressed); auto:
// zstd for small roots, lz4 for large ones (docs/performance.md has the measurements).
using settings::Compression;

// What auto means for a root of this many bytes before compression.
Compression resolve_compression(Compression compression, std::uint64_t raw_bytes);

struct SquashfsOptions {
    Compression compression = Compression::zstd;
    // 1 MiB, not mksquashfs's 128 KiB: a large program is read in eight times fewer
    // requests (Node.js starts 0.3-0.4 s sooner under TCG) and a small one loses nothing.
    std::uint32_t block_size = 1024 * 1024;
    std::uint32_t zstd_level = 9;
    unsigned workers = 0;            // 0: one per CPU
    std::uint32_t modification_time = 0; // every inode and the superblock
    std::function<bool()> cancelled = [] { return false; }; // asked between files
};

// Returns the number of bytes written from offset, padded to 4 KiB.
Result<std::uint64_t> write_squashfs(const FileTree& tree, const SquashfsOptions& options, int fd,
                                     std::uint64_t offset);

} // namespace uk::image
