#include "image/gpt.hpp"

#include "core/files.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>
#include <zlib.h>

namespace uk::image {
namespace {

constexpr std::size_t entry_count = 128;
constexpr std::size_t entry_size = 128;
constexpr std::size_t header_size = 92;

template <class T>
void put(std::uint8_t* at, T value)
{
    std::memcpy(at, &value, sizeof value);
}

template <class T>
T get(const std::uint8_t* at)
{
    T value;
    std::memcpy(&value, at, sizeof value);
    return value;
}

std::uint32_t crc32_of(const std::uint8_t* data, std::size_t size)
{
    return static_cast<std::uint32_t>(crc32(0L, data, static_cast<uInt>(size)));
}

// One hex digit's value, or -1.
int hex_value(char c)
{
    constexpr std::string_view digits = "0123456789abcdef";
    auto at = digits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// The first three fields of a GUID are stored little-endian.
constexpr std::array<int, 16> text_order = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

std::vector<std::uint8_t> make_entries(const std::vector<Partition>& partitions)
{
    std::vector<std::uint8_t> entries(entry_count * entry_size, 0);
    for (std::size_t i = 0; i < partitions.size(); i++) {
        const auto& p = partitions[i];
        auto* e = entries.data() + i * entry_size;
        std::memcpy(e, p.type.data(), 16);
        std::memcpy(e + 16, p.unique.data(), 16);
        put<std::uint64_t>(e + 32, p.first_lba);
        put<std::uint64_t>(e + 40, p.last_lba);
        put<std::uint64_t>(e + 48, p.attributes);
        for (std::size_t c = 0; c < p.name.size() && c < 36; c++)
            put<std::uint16_t>(e + 56 + 2 * c, static_cast<std::uint16_t>(static_cast<unsigned char>(p.name[c])));
    }
    return entries;
}

std::vector<std::uint8_t> make_header(std::uint64_t my_lba, std::uint64_t alternate_lba, std::uint64_t entries_lba,
                                      std::uint64_t disk_sectors, const Guid& disk, std::uint32_t entries_crc)
{
    std::vector<std::uint8_t> header(sector_size, 0);
    auto* h = header.data();
    std::memcpy(h, "EFI PART", 8);
    put<std::uint32_t>(h + 8, 0x00010000);
    put<std::uint32_t>(h + 12, header_size);
    put<std::uint64_t>(h + 24, my_lba);
    put<std::uint64_t>(h + 32, alternate_lba);
    put<std::uint64_t>(h + 40, 1 + gpt_sectors);                // first usable
    put<std::uint64_t>(h + 48, disk_sectors - 1 - gpt_sectors); // last usable
    std::memcpy(h + 56, disk.data(), 16);
    put<std::uint64_t>(h + 72, entries_lba);
    put<std::uint32_t>(h + 80, entry_count);
    put<std::uint32_t>(h + 84, entry_size);
    put<std::uint32_t>(h + 88, entries_crc);
    put<std::uint32_t>(h + 16, crc32_of(h, header_size));
    return header;
}

Status write_at(int fd, const std::vector<std::uint8_t>& bytes, std::uint64_t at)
{
    return write_fully_at(fd, std::as_bytes(std::span(bytes)), at, "the partition table");
}

} // namespace

Guid parse_guid(const std::string& text)
{
    Guid guid{};
    std::size_t digit = 0;
    for (char c : text) {
        if (c == '-')
            continue;
        int v = hex_value(c);
        if (v < 0 || digit >= 32)
            return Guid{};
        auto& byte = guid[static_cast<std::size_t>(text_order[digit / 2])];
        byte = static_cast<std::uint8_t>(digit % 2 == 0 ? v << 4 : byte | v);
        digit++;
    }
    return digit == 32 ? guid : Guid{};
}

std::string format_guid(const Guid& guid)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out += '-';
        auto byte = guid[static_cast<std::size_t>(text_order[i])];
        out += hex[byte >> 4];
        out += hex[byte & 0xF];
    }
    return out;
}

Guid guid_from_digest(const std::string& hex_digest)
{
    Guid guid{};
    for (std::size_t i = 0; i < 16 && 2 * i + 1 < hex_digest.size(); i++)
        guid[i] = static_cast<std::uint8_t>(hex_value(hex_digest[2 * i]) << 4 | hex_value(hex_digest[2 * i + 1]));
    guid[7] = static_cast<std::uint8_t>((guid[7] & 0x0F) | 0x40); // version 4 (byte 7: high byte of field 3)
    guid[8] = static_cast<std::uint8_t>((guid[8] & 0x3F) | 0x80); // RFC 4122 variant
    return guid;
}

Status write_gpt(int fd, std::uint64_t disk_sectors, const Guid& disk, const std::vector<Partition>& partitions)
{
    // Protective MBR: one partition of type 0xEE over the whole disk.
    std::vector<std::uint8_t> mbr(sector_size, 0);
    auto* entry = mbr.data() + 446;
    entry[1] = 0x00, entry[2] = 0x02, entry[3] = 0x00; // CHS of LBA 1
    entry[4] = 0xEE;
    entry[5] = 0xFF, entry[6] = 0xFF, entry[7] = 0xFF;
    put<std::uint32_t>(entry + 8, 1);
    put<std::uint32_t>(entry + 12, static_cast<std::uint32_t>(std::min<std::uint64_t>(disk_sectors - 1, 0xFFFFFFFF)));
    mbr[510] = 0x55, mbr[511] = 0xAA;

    auto entries = make_entries(partitions);
    auto entries_crc = crc32_of(entries.data(), entries.size());
    std::uint64_t last = disk_sectors - 1;
    auto primary = make_header(1, last, 2, disk_sectors, disk, entries_crc);
    auto backup = make_header(last, 1, last - (gpt_sectors - 1), disk_sectors, disk, entries_crc);
    for (auto [bytes, lba] : {std::pair{&mbr, std::uint64_t{0}}, std::pair{&primary, std::uint64_t{1}},
                              std::pair{&entries, std::uint64_t{2}}, std::pair{&entries, last - (gpt_sectors - 1)},
                              std::pair{&backup, last}})
        if (auto w = write_at(fd, *bytes, lba * sector_size); !w)
            return w;
    return {};
}

Result<PartitionTable> read_gpt(const std::filesystem::path& image)
{
    int fd = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io, "cannot read {}: {}", image.string(),
                    std::strerror(errno));
    std::vector<std::uint8_t> head((2 + gpt_sectors) * sector_size);
    ssize_t got = ::pread(fd, head.data(), head.size(), 0);
    ::close(fd);
    const auto* h = head.data() + sector_size;
    if (got != static_cast<ssize_t>(head.size()) || std::memcmp(h, "EFI PART", 8) != 0)
        return fail(ErrorKind::invalid_input, "{} is not a disk image with a GPT partition table", image.string());
    std::vector<std::uint8_t> header(h, h + header_size);
    put<std::uint32_t>(header.data() + 16, 0);
    const auto* entries = head.data() + 2 * sector_size;
    if (get<std::uint32_t>(h + 16) != crc32_of(header.data(), header_size) ||
        get<std::uint32_t>(h + 80) != entry_count || get<std::uint32_t>(h + 84) != entry_size ||
        get<std::uint32_t>(h + 88) != crc32_of(entries, entry_count * entry_size))
        return fail(ErrorKind::invalid_input, "{} has a damaged GPT partition table (checksum mismatch)", image.string());
    PartitionTable table;
    std::memcpy(table.disk.data(), h + 56, 16);
    for (std::size_t i = 0; i < entry_count; i++) {
        const auto* e = entries + i * entry_size;
        Partition p;
        std::memcpy(p.type.data(), e, 16);
        if (p.type == Guid{})
            continue;
        std::memcpy(p.unique.data(), e + 16, 16);
        p.first_lba = get<std::uint64_t>(e + 32);
        p.last_lba = get<std::uint64_t>(e + 40);
        p.attributes = get<std::uint64_t>(e + 48);
        for (std::size_t c = 0; c < 36; c++) {
            auto ch = get<std::uint16_t>(e + 56 + 2 * c);
            if (ch == 0)
                break;
            p.name += static_cast<char>(ch < 128 ? ch : '?');
        }
        table.partitions.push_back(p);
    }
    return table;
}

} // namespace uk::image
