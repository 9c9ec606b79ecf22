// A FAT16 file system for the boot partition, written from a list of files. FAT16
// because syslinux needs FAT16 or FAT32 and UEFI firmware reads both; the files it holds
// (a kernel, boot loader files) fit well under FAT16's 32 MiB with 512-byte clusters.
#pragma once

#include "core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace uk::image {

struct FatFile {
    // "/vmlinuz", "/EFI/BOOT/BOOTX64.EFI": 8.3 names, each part all upper or all lower case.
    std::string path;
    std::span<const std::byte> bytes; // must outlive write_fat
};

struct FatLayout {
    std::uint64_t size_bytes = 0; // the whole file system
    std::uint32_t sectors_per_cluster = 0;
    std::uint32_t cluster_count = 0;
};

// The smallest FAT16 file system that holds the files, rounded up to whole MiB.
Result<FatLayout> plan_fat(const std::vector<FatFile>& files);

// Where a FAT16 file system's root directory and data area start, read from the boot
// sector at offset of fd (absolute offsets in the file); nothing for what is not FAT16.
struct FatRegions {
    std::uint64_t root_directory = 0;
    std::uint32_t root_entries = 0; // of 32 bytes each
    std::uint64_t data = 0;         // the first cluster
};
std::optional<FatRegions> read_fat_regions(int fd, std::uint64_t offset);

// Writes the file system planned for these files at offset of fd.
Status write_fat(const std::vector<FatFile>& files, const FatLayout& layout, std::uint32_t volume_id,
                 const std::string& label, std::uint64_t hidden_sectors, int fd, std::uint64_t offset);

} // namespace uk::image
