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

// The data block size for a root of this many bytes: 128 KiB below 32 MB, 1 MiB above.
// The guest's kernel keeps four blocks in caches and decompresses a block at a time, so
// 1 MiB blocks cost a guest 4-5 MiB of memory that 128 KiB ones do not; a large program
// (Node.js) starts 0.3-0.4 s sooner under TCG with them, a small one (the Go server) does
// not (docs/performance.md).
std::uint32_t block_size_for(std::uint64_t raw_bytes);

struct SquashfsOptions {
    Compression compression = Compression::zstd;
    std::uint32_t block_size = 1024 * 1024; // block_size_for() says which
    std::uint32_t zstd_level = 9;
    unsigned workers = 0;            // 0: one per CPU
    std::uint32_t modification_time = 0; // every inode and the superblock
    std::function<bool()> cancelled = [] { return false; }; // asked between files
};

// Returns the number of bytes written from offset, padded to 4 KiB.
Result<std::uint64_t> write_squashfs(const FileTree& tree, const SquashfsOptions& options, int fd,
                                     std::uint64_t offset);

} // namespace uk::image
