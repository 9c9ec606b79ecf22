#include "image/firmware.hpp"

#include "image/inspect.hpp"

#include "core/files.hpp"
#include "core/process.hpp"
#include "image/disk.hpp"
#include "image/gpt.hpp"

#include <array>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace uk::image {
namespace {

constexpr const char* efi_boot_file = "::/EFI/BOOT/BOOTX64.EFI";
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

} // namespace

Result<FirmwareTools> find_firmware_tools()
{
    FirmwareTools tools;
    auto syslinux = find_in_path("syslinux");
    auto mcopy = find_in_path("mcopy");
    auto mmd = find_in_path("mmd");
    auto mmove = find_in_path("mmove");
    if (!syslinux)
        return fail(ErrorKind::unavailable, "syslinux is not installed: firmware-bootable images need it (apt-get "
                                            "install syslinux syslinux-common mtools)");
    if (!mcopy || !mmd || !mmove)
        return fail(ErrorKind::unavailable, "mtools is not installed: firmware-bootable images need it (apt-get "
                                            "install mtools)");
    tools.syslinux = *syslinux;
    tools.mtools_copy = *mcopy;
    tools.mtools_mkdir = *mmd;
    tools.mtools_move = *mmove;
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
    if (root->arch != Arch::amd64)
        return fail(ErrorKind::usage,
                    "{} is an arm64 image: uk image create makes firmware-bootable images (BIOS and UEFI) of x86-64 "
                    "programs only so far; run arm64 images with uk run, which boots them directly",
                    image.string());
    auto fat = image.string() + "@@" + std::to_string(boot->first_lba * 512);

    // UEFI's removable-media path; syslinux loads the same file, so the kernel is there once.
    if (auto made = run_quietly({tools.mtools_mkdir.string(), "-i", fat, "::/EFI", "::/EFI/BOOT"}, "mmd"); !made)
        return made;
    if (auto moved = run_quietly({tools.mtools_move.string(), "-i", fat, std::string("::") + kernel_file_name,
                                  efi_boot_file},
                                 "mmove");
        !moved)
        return moved;
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

bool has_boot_loader(const std::filesystem::path& image)
{
    auto code = read_file_prefix(image, 16);
    return code && code->size() == 16 && code->find_first_not_of('\0') != std::string::npos;
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
