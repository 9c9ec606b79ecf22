// Direct boot without the in-guest decompressor: QEMU loads an ELF kernel with a PVH
// entry note straight into guest memory, which under TCG saves about half a second of
// emulated decompression. The ELF is the payload inside the bzImage (Linux boot
// protocol 2.08+), so uk ships one kernel file and unpacks it on the host once.
#pragma once

#include "core/error.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace uk::guest {

// The ELF kernel carried (compressed) inside a bzImage. Supports xz payloads, which
// is what src/kernel-prebuilt builds.
Result<std::vector<std::byte>> extract_vmlinux(std::span<const std::byte> bzimage);

// The arm64 Image inside an EFI zboot kernel (vmlinuz.efi: an EFI application carrying
// the Image xz-compressed), which QEMU's direct boot of arm64 cannot unpack itself.
Result<std::vector<std::byte>> extract_arm64_image(std::span<const std::byte> zboot);

// How many bytes of an EFI zboot kernel hold its payload, read from its first 64 bytes;
// empty when they are not a zboot header.
std::optional<std::size_t> zboot_length(std::span<const std::byte> header);

// The release in a kernel's "Linux version 6.1.192 (...)" banner ("6.1.192"), or empty.
std::string kernel_release_in(std::span<const std::byte> kernel);

// A whole xz stream, decompressed.
Result<std::vector<std::byte>> decompress_xz(std::span<const std::byte> input);

} // namespace uk::guest
