#include "guest/vmlinux.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include <lzma.h>

namespace uk::guest {
namespace {

// Offsets in the real-mode header (Documentation/x86/boot.rst).
constexpr std::size_t setup_sects_offset = 0x1f1;
constexpr std::size_t header_magic_offset = 0x202;
constexpr std::size_t version_offset = 0x206;
constexpr std::size_t payload_offset_offset = 0x248;
constexpr std::size_t payload_length_offset = 0x24c;

template <class T>
T read_le(std::span<const std::byte> bytes, std::size_t offset)
{
    T value{};
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value; // x86-64 hosts only: little-endian like the header
}

} // namespace

Result<std::vector<std::byte>> decompress_xz(std::span<const std::byte> input)
{
    lzma_stream stream = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&stream, UINT64_MAX, 0) != LZMA_OK)
        return fail(ErrorKind::internal, "cannot start the xz decoder");
    std::unique_ptr<lzma_stream, decltype(&lzma_end)> guard(&stream, &lzma_end);

    std::vector<std::byte> output(input.size() * 4);
    stream.next_in = reinterpret_cast<const std::uint8_t*>(input.data());
    stream.avail_in = input.size();
    std::size_t produced = 0;
    for (;;) {
        stream.next_out = reinterpret_cast<std::uint8_t*>(output.data() + produced);
        stream.avail_out = output.size() - produced;
        lzma_ret result = lzma_code(&stream, LZMA_FINISH);
        produced = output.size() - stream.avail_out;
        if (result == LZMA_STREAM_END)
            break;
        if (result == LZMA_OK || result == LZMA_BUF_ERROR) {
            if (stream.avail_out == 0) {
                output.resize(output.size() * 2);
                continue;
            }
            // The kernel appends its uncompressed size after the stream; running out of
            // input before the end of the stream means the payload is cut short.
            return fail(ErrorKind::invalid_input, "the kernel's xz payload is truncated");
        }
        return fail(ErrorKind::invalid_input, "the kernel's xz payload is corrupt (liblzma error {})",
                    static_cast<int>(result));
    }
    output.resize(produced);
    return output;
}

Result<std::vector<std::byte>> extract_vmlinux(std::span<const std::byte> bzimage)
{
    if (bzimage.size() < 0x260 || std::memcmp(bzimage.data() + header_magic_offset, "HdrS", 4) != 0)
        return fail(ErrorKind::invalid_input, "not a bzImage (no HdrS boot header)");
    if (read_le<std::uint16_t>(bzimage, version_offset) < 0x0208)
        return fail(ErrorKind::invalid_input, "bzImage boot protocol older than 2.08 has no payload fields");
    unsigned setup_sectors = std::to_integer<unsigned>(bzimage[setup_sects_offset]);
    if (setup_sectors == 0)
        setup_sectors = 4;
    std::size_t protected_mode_start = (setup_sectors + 1) * 512ul;
    std::size_t start = protected_mode_start + read_le<std::uint32_t>(bzimage, payload_offset_offset);
    std::size_t length = read_le<std::uint32_t>(bzimage, payload_length_offset);
    if (start > bzimage.size() || length > bzimage.size() - start)
        return fail(ErrorKind::invalid_input, "bzImage payload lies outside the file");
    auto payload = bzimage.subspan(start, length);

    static constexpr std::uint8_t xz_magic[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    if (payload.size() < sizeof xz_magic || std::memcmp(payload.data(), xz_magic, sizeof xz_magic) != 0)
        return fail(ErrorKind::invalid_input, "bzImage payload is not xz-compressed; uk unpacks only xz kernels");
    auto elf = decompress_xz(payload);
    if (!elf)
        return elf;
    if (elf->size() < 4 || std::memcmp(elf->data(), "\177ELF", 4) != 0)
        return fail(ErrorKind::invalid_input, "bzImage payload does not hold an ELF kernel");
    return elf;
}

std::optional<std::size_t> zboot_length(std::span<const std::byte> header)
{
    // The EFI zboot header (drivers/firmware/efi/libstub/zboot-header.S): "MZ", "zimg" at
    // 4, the payload's offset and size at 8 and 12, the compression's name at 24.
    if (header.size() < 64 || std::memcmp(header.data(), "MZ", 2) != 0 || std::memcmp(header.data() + 4, "zimg", 4) != 0)
        return std::nullopt;
    return std::size_t{read_le<std::uint32_t>(header, 8)} + read_le<std::uint32_t>(header, 12);
}

Result<std::vector<std::byte>> extract_arm64_image(std::span<const std::byte> zboot)
{
    if (!zboot_length(zboot))
        return fail(ErrorKind::invalid_input, "not an EFI zboot kernel (no zimg header)");
    std::size_t start = read_le<std::uint32_t>(zboot, 8);
    std::size_t length = read_le<std::uint32_t>(zboot, 12);
    if (start > zboot.size() || length > zboot.size() - start)
        return fail(ErrorKind::invalid_input, "the zboot payload lies outside the file");
    auto method = std::string(reinterpret_cast<const char*>(zboot.data()) + 24,
                              strnlen(reinterpret_cast<const char*>(zboot.data()) + 24, 16));
    if (method != "xzkern")
        return fail(ErrorKind::invalid_input, "the zboot payload is {}-compressed; uk unpacks only xz kernels", method);
    auto image = decompress_xz(zboot.subspan(start, length));
    if (!image)
        return image;
    // The arm64 boot header (Documentation/arm64/booting.rst): "ARM\x64" at offset 56.
    constexpr std::size_t magic_offset = 56;
    if (image->size() < 64 || std::memcmp(image->data() + magic_offset, "ARM\x64", 4) != 0)
        return fail(ErrorKind::invalid_input, "the zboot payload does not hold an arm64 kernel Image");
    return image;
}

std::string kernel_release_in(std::span<const std::byte> kernel)
{
    constexpr std::string_view banner = "Linux version ";
    std::string_view text(reinterpret_cast<const char*>(kernel.data()), kernel.size());
    auto at = text.find(banner);
    if (at == std::string_view::npos)
        return {};
    auto release = text.substr(at + banner.size(), 64);
    return std::string(release.substr(0, release.find_first_of(" \n", 0)));
}

} // namespace uk::guest
