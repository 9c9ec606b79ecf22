#include "guest/embedded.hpp"
#include "guest/vmlinux.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

namespace {

// Finds a note of the given owner and type among the ELF64 program headers.
bool has_note(const std::vector<std::byte>& elf, const char* owner, std::uint32_t type)
{
    std::uint64_t phoff = 0;
    std::uint16_t phnum = 0;
    std::memcpy(&phoff, elf.data() + 32, 8);
    std::memcpy(&phnum, elf.data() + 56, 2);
    for (std::uint16_t i = 0; i < phnum; i++) {
        const std::byte* ph = elf.data() + phoff + i * 56u;
        std::uint32_t segment = 0;
        std::uint64_t offset = 0, size = 0;
        std::memcpy(&segment, ph, 4);
        std::memcpy(&offset, ph + 8, 8);
        std::memcpy(&size, ph + 32, 8);
        if (segment != 4) // PT_NOTE
            continue;
        for (std::uint64_t at = offset; at + 12 <= offset + size;) {
            std::uint32_t name_size = 0, desc_size = 0, note_type = 0;
            std::memcpy(&name_size, elf.data() + at, 4);
            std::memcpy(&desc_size, elf.data() + at + 4, 4);
            std::memcpy(&note_type, elf.data() + at + 8, 4);
            const char* name = reinterpret_cast<const char*>(elf.data() + at + 12);
            if (note_type == type && name_size == std::strlen(owner) + 1 && std::strcmp(name, owner) == 0)
                return true;
            at += 12 + ((name_size + 3) & ~3u) + ((desc_size + 3) & ~3u);
        }
    }
    return false;
}

} // namespace

TEST_CASE("the ELF kernel inside the bzImage has the PVH entry note QEMU boots it by", "[unit][guest]")
{
    auto vmlinux = uk::guest::extract_vmlinux(uk::guest::kernel_image());
    REQUIRE(vmlinux);
    REQUIRE(vmlinux->size() > uk::guest::kernel_image().size());
    CHECK(std::memcmp(vmlinux->data(), "\177ELF", 4) == 0);
    CHECK(has_note(*vmlinux, "Xen", 18)); // XEN_ELFNOTE_PHYS32_ENTRY
}

TEST_CASE("extract_vmlinux refuses what is not a bzImage", "[unit][guest]")
{
    std::vector<std::byte> junk(4096, std::byte{0x41});
    auto result = uk::guest::extract_vmlinux(junk);
    REQUIRE_FALSE(result);
    CHECK(result.error().message == "not a bzImage (no HdrS boot header)");
}

TEST_CASE("the arm64 Image inside the EFI zboot kernel has the arm64 boot header QEMU loads", "[unit][guest]")
{
    auto zboot = uk::guest::kernel_image(uk::Arch::arm64);
    auto image = uk::guest::extract_arm64_image(zboot);
    REQUIRE(image);
    REQUIRE(image->size() > zboot.size());
    CHECK(std::memcmp(image->data() + 56, "ARM\x64", 4) == 0);
    // The Image itself is a PE file too (its EFI stub): "MZ" first.
    CHECK(std::memcmp(image->data(), "MZ", 2) == 0);
    CHECK(uk::guest::kernel_release_in(*image) == uk::guest::kernel_record(uk::Arch::arm64).release);
    CHECK(uk::guest::kernel_release_in(std::as_bytes(std::span("no banner here"))).empty());
}

TEST_CASE("extract_arm64_image refuses what is not a zboot kernel, and a payload cut short", "[unit][guest]")
{
    std::vector<std::byte> junk(4096, std::byte{0x41});
    auto result = uk::guest::extract_arm64_image(junk);
    REQUIRE_FALSE(result);
    CHECK(result.error().message == "not an EFI zboot kernel (no zimg header)");

    auto zboot = uk::guest::kernel_image(uk::Arch::arm64);
    std::vector<std::byte> cut(zboot.begin(), zboot.begin() + static_cast<std::ptrdiff_t>(zboot.size() / 2));
    auto short_one = uk::guest::extract_arm64_image(cut);
    REQUIRE_FALSE(short_one);
    CHECK(short_one.error().message == "the zboot payload lies outside the file");
}
