// GUID partition tables: a protective MBR, the primary header and entries at the start
// of the disk and their backup at the end (UEFI specification, chapter 5).
#pragma once

#include "core/error.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace uk::image {

using Guid = std::array<std::uint8_t, 16>; // as stored on disk (mixed-endian)

Guid parse_guid(const std::string& text); // "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
std::string format_guid(const Guid& guid);
// A version-4-style GUID from the first bytes of a digest, so that equal content gives
// equal GUIDs.
Guid guid_from_digest(const std::string& hex_digest);

inline const Guid efi_system_partition = parse_guid("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
// "Linux root (x86-64)" and "Linux root (ARM64)" of the Discoverable Partitions
// Specification: the type of an image's root partition says the architecture of the
// programs in it, and uk reads it back to choose the guest.
inline const Guid linux_root_x86_64 = parse_guid("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709");
inline const Guid linux_root_arm64 = parse_guid("B921B045-1DF0-41C3-AF44-4C6F280D3FAE");

struct Partition {
    Guid type{};
    Guid unique{};
    std::uint64_t first_lba = 0;
    std::uint64_t last_lba = 0; // inclusive
    std::uint64_t attributes = 0;
    std::string name; // ASCII, at most 36 characters
};

inline constexpr std::uint64_t sector_size = 512;
// Sectors the table takes at each end: header (1) and 128 entries of 128 bytes (32).
inline constexpr std::uint64_t gpt_sectors = 33;
inline constexpr std::uint64_t legacy_bios_bootable = 1ull << 2;

Status write_gpt(int fd, std::uint64_t disk_sectors, const Guid& disk, const std::vector<Partition>& partitions);

struct PartitionTable {
    Guid disk{};
    std::vector<Partition> partitions;
};

// Reads the primary table, checking its signature and checksums.
Result<PartitionTable> read_gpt(const std::filesystem::path& image);

} // namespace uk::image
