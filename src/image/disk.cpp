#include "image/disk.hpp"

#include "core/files.hpp"
#include "core/sha256.hpp"
#include "image/fat.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace uk::image {
namespace {

constexpr std::uint64_t mib = 1024 * 1024;

std::uint64_t round_up(std::uint64_t value, std::uint64_t unit) { return (value + unit - 1) / unit * unit; }

Result<std::string> digest_of_region(int fd, std::uint64_t offset, std::uint64_t size)
{
    std::vector<std::byte> buffer(static_cast<std::size_t>(size));
    if (auto read = read_fully_at(fd, buffer, offset, "the new image"); !read)
        return fail(read.error());
    return sha256_hex(buffer);
}

} // namespace

Result<DiskImage> write_disk(const DiskSpec& spec, const std::filesystem::path& output)
{
    std::vector<FatFile> boot_files{{kernel_file_name, spec.kernel}};
    auto fat = plan_fat(boot_files);
    if (!fat)
        return fail(fat.error());

    auto file = AtomicFile::create(output, spec.readers);
    if (!file)
        return fail(file.error());

    // Partitions start on 1 MiB boundaries, as every partitioning tool does.
    const std::uint64_t boot_offset = mib;
    const std::uint64_t root_offset = boot_offset + fat->size_bytes;
    auto kernel_digest = sha256_hex(spec.kernel);
    auto volume_id = static_cast<std::uint32_t>(std::stoul(kernel_digest.substr(0, 8), nullptr, 16));
    if (auto w = write_fat(boot_files, *fat, volume_id, "UK-BOOT", boot_offset / sector_size, file->fd(), boot_offset); !w)
        return fail(w.error());
    bool erofs = spec.root_fs == settings::RootFs::erofs;
    auto root_bytes = erofs ? write_erofs(*spec.root, {.cancelled = spec.cancelled}, file->fd(), root_offset)
                            : write_squashfs(*spec.root, spec.squashfs, file->fd(), root_offset);
    if (!root_bytes)
        return fail(root_bytes.error());

    const std::uint64_t root_end = root_offset + *root_bytes;
    // An EROFS image is given whole to the guest as persistent memory, which QEMU maps in
    // 2 MiB units.
    const std::uint64_t disk_bytes = round_up(root_end + gpt_sectors * sector_size, erofs ? 2 * mib : mib);
    if (auto sized = file->resize(disk_bytes); !sized)
        return fail(sized.error());

    // GUIDs from the content: same inputs, same GUIDs, same bytes.
    auto boot_digest = digest_of_region(file->fd(), boot_offset, fat->size_bytes);
    auto root_digest = digest_of_region(file->fd(), root_offset, *root_bytes);
    if (!boot_digest || !root_digest)
        return fail(!boot_digest ? boot_digest.error() : root_digest.error());
    auto content = *boot_digest + *root_digest;
    auto guid_for = [&](std::string_view role) { return guid_from_digest(sha256_hex(as_bytes(std::string(role) + content))); };
    std::vector<Partition> partitions{
        {.type = efi_system_partition,
         .unique = guid_for("boot"),
         .first_lba = boot_offset / sector_size,
         .last_lba = (boot_offset + fat->size_bytes) / sector_size - 1,
         .attributes = legacy_bios_bootable,
         .name = boot_partition_name},
        {.type = root_type_of(spec.arch),
         .unique = guid_for("root"),
         .first_lba = root_offset / sector_size,
         .last_lba = root_end / sector_size - 1,
         .name = root_partition_name},
    };
    if (auto w = write_gpt(file->fd(), disk_bytes / sector_size, guid_for("disk"), partitions); !w)
        return fail(w.error());

    auto image_digest = digest_of_region(file->fd(), 0, disk_bytes);
    if (!image_digest)
        return fail(image_digest.error());
    if (spec.cancelled())
        return fail(ErrorKind::interrupted, "stopped while writing the image; nothing was written");
    struct stat st{};
    ::fstat(file->fd(), &st);
    if (auto committed = file->commit(); !committed)
        return fail(committed.error());
    return DiskImage{
        .path = output,
        .size_bytes = disk_bytes,
        .allocated_bytes = static_cast<std::uint64_t>(st.st_blocks) * 512,
        .boot_bytes = fat->size_bytes,
        .root_bytes = *root_bytes,
        .root_partuuid = format_guid(partitions[1].unique),
        .sha256 = *image_digest,
    };
}

std::optional<Arch> arch_of_root_type(const Guid& type)
{
    if (type == linux_root_x86_64)
        return Arch::amd64;
    if (type == linux_root_arm64)
        return Arch::arm64;
    return std::nullopt;
}

Guid root_type_of(Arch arch) { return arch == Arch::arm64 ? linux_root_arm64 : linux_root_x86_64; }

Result<std::string> root_partuuid_of(const std::filesystem::path& image)
{
    auto table = read_gpt(image);
    if (!table)
        return fail(table.error());
    for (const auto& partition : table->partitions)
        if (partition.name == root_partition_name && arch_of_root_type(partition.type))
            return format_guid(partition.unique);
    return fail(ErrorKind::invalid_input, "{} is not a uk image (it has no {} partition)", image.string(),
                root_partition_name);
}

} // namespace uk::image
