// Writes a FileTree as a SquashFS file system with libsquashfs (squashfs-tools-ng), at
// an offset inside an open file: the root partition of an image is written in place.
#pragma once

#include "core/error.hpp"
#include "image/file_tree.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace uk::image {

// How the root's file data is stored. zstd: smallest; lz4: fastest to decompress of the
// two; none: no decompression at all in the guest (metadata stays lz4-compressed).
enum class Compression { zstd, lz4, none };

std::string to_string(Compression compression);
Result<Compression> parse_compression(const std::string& name);

struct SquashfsOptions {
    Compression compression = Compression::zstd;
    std::uint32_t block_size = 128 * 1024;
    std::uint32_t zstd_level = 9;
    unsigned workers = 0;            // 0: one per CPU
    std::uint32_t modification_time = 0; // every inode and the superblock
    std::function<bool()> cancelled = [] { return false; }; // asked between files
};

// Returns the number of bytes written from offset, padded to 4 KiB.
Result<std::uint64_t> write_squashfs(const FileTree& tree, const SquashfsOptions& options, int fd,
                                     std::uint64_t offset);

} // namespace uk::image
