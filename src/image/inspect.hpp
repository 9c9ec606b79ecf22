// What is in an image uk wrote, read back from the file alone: its partitions, whether
// firmware can boot it, the kernel's version, the root's compression, every file, and the
// manifest (program, arguments, environment).
#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"
#include "settings/settings.hpp"

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace uk::image {

struct RootEntry {
    std::string path;
    char type = 'f';          // f file, d folder, l symlink
    std::uint64_t size = 0;   // files
    std::uint16_t mode = 0;
    std::string link_target;  // symlinks
};

struct ImageInfo {
    std::filesystem::path file;
    std::uint64_t size_bytes = 0;
    std::uint64_t allocated_bytes = 0;
    bool firmware_bootable = false;
    std::string kernel_version; // the kernel's own version string, or empty
    Arch arch = Arch::amd64;    // of the programs in the root, from its partition type
    std::string root_partuuid;
    std::uint64_t root_bytes = 0;
    std::string file_system;    // of the root: squashfs, erofs
    std::string compression;    // zstd, lz4, none
    std::uint32_t block_size = 0;
    std::vector<RootEntry> entries;
    nlohmann::json manifest;
    nlohmann::json from_image; // /etc/uk/image.json of an image built from an OCI image; null otherwise
};

// Raw images only (what uk build writes, and uk image create -t raw).
Result<ImageInfo> inspect_image(const std::filesystem::path& image);

nlohmann::json to_json(const ImageInfo& info);

struct BootableRoot {
    std::string partuuid;
    Arch arch = Arch::amd64; // of the guest to boot: from the root partition's type
    settings::RootFs file_system = settings::RootFs::squashfs;
    std::uint64_t image_bytes = 0; // the whole file's
};

// The root partition of an image about to be booted, after checking what a boot needs:
// the partitions lie inside the file and the root's superblock (SquashFS or EROFS) is
// whole and fits its partition. A copy cut short is refused here, with what is missing,
// instead of a guest that waits for its root device.
Result<BootableRoot> bootable_root(const std::filesystem::path& image);

} // namespace uk::image
