#include "volume/ext4.hpp"

#include "core/files.hpp"

#include <array>

namespace uk::volume {
namespace {

// Offsets in the superblock (the kernel's struct ext4_super_block), little-endian.
constexpr std::size_t blocks_count_lo = 0x04;
constexpr std::size_t free_blocks_count_lo = 0x0C;
constexpr std::size_t log_block_size = 0x18;
constexpr std::size_t magic = 0x38;
constexpr std::size_t state = 0x3A;
constexpr std::size_t feature_incompat = 0x60;
constexpr std::size_t blocks_count_hi = 0x150;
constexpr std::size_t free_blocks_count_hi = 0x158;

constexpr std::uint16_t ext4_magic = 0xEF53;
constexpr std::uint16_t state_valid = 0x1;
constexpr std::uint16_t state_error = 0x2;
constexpr std::uint32_t incompat_recover = 0x4; // the journal needs replaying
constexpr std::uint32_t incompat_64bit = 0x80;

std::uint64_t little_endian(std::span<const std::byte> bytes, std::size_t offset, std::size_t width)
{
    std::uint64_t value = 0;
    for (std::size_t i = width; i-- > 0;)
        value = (value << 8) | std::to_integer<std::uint64_t>(bytes[offset + i]);
    return value;
}

} // namespace

Result<Ext4Summary> parse_ext4_superblock(std::span<const std::byte> sb)
{
    if (sb.size() < 1024 || little_endian(sb, magic, 2) != ext4_magic)
        return fail(ErrorKind::invalid_input, "not an ext4 file system");
    auto log_size = little_endian(sb, log_block_size, 4);
    if (log_size > 6) // 64 KiB blocks at most
        return fail(ErrorKind::invalid_input, "an ext4 superblock with a block size of 2^{} KiB", log_size);
    std::uint64_t block_size = 1024ull << log_size;
    auto incompat = little_endian(sb, feature_incompat, 4);
    bool wide = (incompat & incompat_64bit) != 0;
    auto blocks = little_endian(sb, blocks_count_lo, 4) | (wide ? little_endian(sb, blocks_count_hi, 4) << 32 : 0);
    auto free = little_endian(sb, free_blocks_count_lo, 4) | (wide ? little_endian(sb, free_blocks_count_hi, 4) << 32 : 0);
    auto fs_state = little_endian(sb, state, 2);
    return Ext4Summary{
        .size_bytes = blocks * block_size,
        .free_bytes = free * block_size,
        .clean = (fs_state & state_valid) && !(fs_state & state_error) && !(incompat & incompat_recover),
    };
}

Result<Ext4Summary> read_ext4_summary(const std::filesystem::path& file)
{
    auto fd = open_regular_file(file);
    if (!fd)
        return fail(fd.error());
    std::array<std::byte, 1024> superblock{};
    if (auto read = read_fully_at(fd->get(), superblock, 1024, file.string()); !read)
        return fail(read.error());
    auto summary = parse_ext4_superblock(superblock);
    if (!summary)
        return fail(summary.error().kind, "{} is {}", file.string(), summary.error().message);
    return summary;
}

} // namespace uk::volume
