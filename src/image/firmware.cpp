#include "image/firmware.hpp"

#include "image/inspect.hpp"

#include "core/files.hpp"
#include "core/process.hpp"
#include "core/unique_fd.hpp"
#include "image/disk.hpp"
#include "image/fat.hpp"
#include "image/gpt.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <vector>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace uk::image {
namespace {

constexpr const char* efi_boot_file = "::/EFI/BOOT/BOOTX64.EFI";
constexpr const char* arm64_efi_boot_file = "::/EFI/BOOT/BOOTAA64.EFI";
constexpr std::size_t mbr_boot_code_bytes = 440; // before the disk signature and table
// mtools stamps what it writes with this (1980-01-01, FAT's epoch), as uk's FAT writer does.
constexpr const char* pinned_time = "SOURCE_DATE_EPOCH=315532800";

Status run_quietly(std::vector<std::string> argv, const std::string& what)
{
    argv.insert(argv.begin(), {"env", pinned_time, "MTOOLS_SKIP_CHECK=1", "MTOOLS_NO_VFAT=1"});
    auto run = run_tool(argv);
    if (!run)
        return fail(run.error());
    if (run->status != 0) {
        auto line = run->first_line();
        return fail(ErrorKind::unavailable, "{} failed ({}): {}", what, run->status, line.empty() ? "no message" : line);
    }
    return {};
}

// Whether the FAT16 boot partition's root directory holds the folder EFI: where UEFI looks
// for \EFI\BOOT\BOOT<arch>.EFI.
bool has_efi_folder(const std::filesystem::path& image)
{
    auto table = read_gpt(image);
    if (!table)
        return false;
    auto boot = std::find_if(table->partitions.begin(), table->partitions.end(),
                             [](const Partition& p) { return p.name == boot_partition_name; });
    if (boot == table->partitions.end())
        return false;
    UniqueFd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return false;
    auto regions = read_fat_regions(fd.get(), boot->first_lba * 512);
    if (!regions)
        return false;
    std::vector<std::uint8_t> root(regions->root_entries * 32u);
    if (!read_fully_at(fd.get(), std::as_writable_bytes(std::span(root)), regions->root_directory, image.string()))
        return false;
    for (std::size_t at = 0; at + 32 <= root.size() && root[at] != 0; at += 32)
        if (std::memcmp(root.data() + at, "EFI        ", 11) == 0 && (root[at + 11] & 0x10))
            return true;
    return false;
}

} // namespace

Result<FirmwareTools> find_firmware_tools(Arch host)
{
    FirmwareTools tools;
    auto syslinux = find_in_path("syslinux");
    auto mcopy = find_in_path("mcopy");
    auto mmd = find_in_path("mmd");
    auto mmove = find_in_path("mmove");
    if (!syslinux && host == Arch::amd64)
        return fail(ErrorKind::unavailable, "syslinux is not installed: firmware-bootable images need it (apt-get "
                                            "install syslinux syslinux-common mtools)");
    if (!mcopy || !mmd || !mmove)
        return fail(ErrorKind::unavailable, "mtools is not installed: firmware-bootable images need it (apt-get "
                                            "install mtools)");
    tools.mtools_copy = *mcopy;
    tools.mtools_mkdir = *mmd;
    tools.mtools_move = *mmove;
    if (!syslinux)
        return tools;
    tools.syslinux = *syslinux;
    tools.gpt_mbr = "/usr/lib/syslinux/mbr/gptmbr.bin";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(tools.gpt_mbr, ec))
        return fail(ErrorKind::unavailable, "{} is missing: firmware-bootable images need it (apt-get install "
                                            "syslinux-common)",
                    tools.gpt_mbr.string());
    return tools;
}

std::string firmware_kernel_args(const std::string& root_partuuid, settings::RootFs file_system)
{
    return "console=ttyS0 quiet root=PARTUUID=" + root_partuuid + " rootfstype=" + settings::to_string(file_system) +
           " ro rootwait init=/sbin/uk-init panic=-1 ip=dhcp";
}

Status make_firmware_bootable(const std::filesystem::path& image, const FirmwareTools& tools)
{
    auto table = read_gpt(image);
    if (!table)
        return fail(table.error());
    const Partition* boot = nullptr;
    for (const auto& partition : table->partitions)
        if (partition.name == boot_partition_name)
            boot = &partition;
    auto root = bootable_root(image);
    if (!boot || !root)
        return fail(ErrorKind::invalid_input, "{} is not a uk image: make it with uk build", image.string());
    auto fat = image.string() + "@@" + std::to_string(boot->first_lba * 512);

    // UEFI's removable-media path; syslinux loads the same file, so the kernel is there once.
    bool arm64 = root->arch == Arch::arm64;
    if (auto made = run_quietly({tools.mtools_mkdir.string(), "-i", fat, "::/EFI", "::/EFI/BOOT"}, "mmd"); !made)
        return made;
    if (auto moved = run_quietly({tools.mtools_move.string(), "-i", fat, std::string("::") + kernel_file_name,
                                  arm64 ? arm64_efi_boot_file : efi_boot_file},
                                 "mmove");
        !moved)
        return moved;
    // arm64 machines have no BIOS: the kernel's EFI stub (inside its zboot file) is the boot
    // loader, with the command line built into the kernel. So it is for an x86-64 image made
    // where there is no syslinux.
    if (arm64 || tools.syslinux.empty())
        return {};
    auto config = "DEFAULT uk\nPROMPT 0\nTIMEOUT 0\nLABEL uk\n  LINUX /EFI/BOOT/BOOTX64.EFI\n  APPEND " +
                  firmware_kernel_args(root->partuuid, root->file_system) + "\n";
    auto config_file = std::filesystem::path(image.string() + ".syslinux.cfg");
    if (auto written = write_file_atomically(config_file, as_bytes(config)); !written)
        return written;
    auto copied = run_quietly({tools.mtools_copy.string(), "-i", fat, config_file.string(), "::/syslinux.cfg"}, "mcopy");
    std::error_code ec;
    std::filesystem::remove(config_file, ec);
    if (!copied)
        return copied;
    if (auto installed = run_quietly({tools.syslinux.string(), "--install", "--offset",
                                      std::to_string(boot->first_lba * 512), image.string()},
                                     "syslinux");
        !installed)
        return installed;

    // syslinux's GPT-aware MBR finds the partition marked legacy-BIOS-bootable (uk's boot
    // partition is) and starts its boot sector.
    auto mbr = read_file(tools.gpt_mbr);
    if (!mbr)
        return fail(mbr.error());
    if (mbr->size() < mbr_boot_code_bytes)
        return fail(ErrorKind::invalid_input, "{} is not syslinux's GPT MBR", tools.gpt_mbr.string());
    int fd = ::open(image.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorKind::io, "cannot open {} to write its MBR", image.string());
    auto written = write_fully_at(fd, as_bytes(std::string_view(mbr->data(), mbr_boot_code_bytes)), 0, image.string());
    ::close(fd);
    return written;
}

bool has_bios_boot_code(const std::filesystem::path& image)
{
    auto code = read_file_prefix(image, 16);
    return code && code->size() == 16 && code->find_first_not_of('\0') != std::string::npos;
}

bool has_boot_loader(const std::filesystem::path& image)
{
    return has_bios_boot_code(image) || has_efi_folder(image);
}

Result<std::string> detect_disk_format(const std::filesystem::path& image)
{
    auto head = read_file_prefix(image, 512);
    if (!head)
        return fail(head.error());
    if (head->starts_with("QFI\xfb"))
        return std::string("qcow2");
    if (head->starts_with("KDMV"))
        return std::string("vmdk");
    if (head->starts_with("\x1f\x8b"))
        return fail(ErrorKind::invalid_input, "{} is compressed (a -t gcp tarball?): unpack its disk.raw first (tar xzf "
                                              "{})",
                    image.string(), image.string());
    // A fixed VHD is a raw disk with a 512-byte footer that starts "conectix".
    std::error_code ec;
    auto size = std::filesystem::file_size(image, ec);
    if (!ec && size >= 512) {
        int fd = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
        std::array<std::byte, 8> cookie{};
        bool read = fd >= 0 && read_fully_at(fd, cookie, size - 512, image.string()).has_value();
        if (fd >= 0)
            ::close(fd);
        if (read && std::memcmp(cookie.data(), "conectix", 8) == 0)
            return std::string("vpc");
    }
    return std::string("raw");
}

} // namespace uk::image
