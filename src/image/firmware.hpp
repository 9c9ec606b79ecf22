// Makes a uk image boot through firmware on any VM host of its architecture, no -kernel
// needed. x86-64:
//   BIOS: syslinux in the FAT boot partition (installed by Debian's syslinux, which works
//         on the image file: no root, no loop device) and syslinux's GPT MBR;
//   UEFI: the kernel's EFI stub at \EFI\BOOT\BOOTX64.EFI, with its built-in command line.
// Both load the same kernel file. arm64 (UEFI only): the zboot kernel, an EFI application,
// at \EFI\BOOT\BOOTAA64.EFI. Timestamps are pinned so the result is reproducible.
// Debian builds syslinux for x86 machines only: on an arm64 machine x86-64 images get the
// UEFI half alone.
#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"
#include "settings/settings.hpp"

#include <filesystem>

namespace uk::image {

struct FirmwareTools {
    std::filesystem::path syslinux;     // empty on a host without one: x86-64 images boot through UEFI only
    std::filesystem::path mtools_copy;  // mcopy
    std::filesystem::path mtools_mkdir; // mmd
    std::filesystem::path mtools_move;  // mmove
    std::filesystem::path gpt_mbr;      // syslinux's gptmbr.bin
};

// The host tools, or one error line saying which package to install. syslinux is required
// on an x86-64 host and used when present on another.
Result<FirmwareTools> find_firmware_tools(Arch host = host_arch());

// The kernel command line a firmware-booted image gets from syslinux: the root by its
// PARTUUID, the console on ttyS0 (clouds' serial console), the address by DHCP.
std::string firmware_kernel_args(const std::string& root_partuuid,
                                 settings::RootFs file_system = settings::RootFs::squashfs);

// Rewrites `image` in place (a file uk wrote; the caller works on a copy).
Status make_firmware_bootable(const std::filesystem::path& image, const FirmwareTools& tools);

// Whether an image has a boot loader: syslinux in its MBR (x86-64) or an EFI folder in its
// boot partition (arm64, and x86-64 images made without syslinux), what
// make_firmware_bootable writes.
bool has_boot_loader(const std::filesystem::path& image);

// Whether a BIOS can start it: boot code in its MBR (syslinux's). An x86-64 image without
// boot UEFI only.
bool has_bios_boot_code(const std::filesystem::path& image);

// QEMU's name for a disk file's format, from its magic: raw, qcow2, vmdk or vpc (VHD).
Result<std::string> detect_disk_format(const std::filesystem::path& image);

} // namespace uk::image
