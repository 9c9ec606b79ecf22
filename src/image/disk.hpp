// Writes a uk disk image (docs/image.md): GPT, a FAT16 boot partition with the kernel,
// and the root (SquashFS, or EROFS). The same spec always gives the same bytes, and the file appears
// at its path only when complete.
#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "image/file_tree.hpp"
#include "image/gpt.hpp"
#include "image/erofs.hpp"
#include "image/squashfs.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>

namespace uk::image {

inline constexpr const char* boot_partition_name = "uk-boot";
inline constexpr const char* root_partition_name = "uk-root";
inline constexpr const char* kernel_file_name = "/vmlinuz";

struct DiskSpec {
    const FileTree* root = nullptr;        // complete: program, uk-init, manifest, /etc
    std::span<const std::byte> kernel;     // for the boot partition: bzImage, or arm64's Image
    Arch arch = Arch::amd64;               // of the programs in the root: the root's partition type
    settings::RootFs root_fs = settings::RootFs::squashfs;
    SquashfsOptions squashfs;              // a SquashFS root's
    Readers readers = Readers::owner;
    std::function<bool()> cancelled = [] { return false; };
};

struct DiskImage {
    std::filesystem::path path;
    std::uint64_t size_bytes = 0;      // apparent size
    std::uint64_t allocated_bytes = 0; // on the host disk (the image is sparse)
    std::uint64_t boot_bytes = 0;
    std::uint64_t root_bytes = 0;      // the root file system
    std::string root_partuuid;
    std::string sha256;
};

Result<DiskImage> write_disk(const DiskSpec& spec, const std::filesystem::path& output);

// The root partition's PARTUUID of an image uk wrote; an error for other files.
Result<std::string> root_partuuid_of(const std::filesystem::path& image);

// The architecture a root partition's type stands for (linux_root_x86_64 or
// linux_root_arm64); nothing for another type.
std::optional<Arch> arch_of_root_type(const Guid& type);
Guid root_type_of(Arch arch);

} // namespace uk::image
