#include "image/fat.hpp"

#include "core/files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <map>

namespace uk::image {
namespace {

constexpr std::uint32_t sector = 512;
constexpr std::uint32_t reserved_sectors = 1;
constexpr std::uint32_t fat_copies = 2;
constexpr std::uint32_t root_entries = 512;
constexpr std::uint32_t root_sectors = root_entries * 32 / sector;
constexpr std::uint32_t min_clusters = 4085 + 16; // below 4085 it would be FAT12
constexpr std::uint32_t max_clusters = 65524;
constexpr std::uint64_t mib = 1024 * 1024;
// 1980-01-01 00:00, the FAT epoch: fixed so that images are reproducible.
constexpr std::uint16_t fixed_date = (0 << 9) | (1 << 5) | 1;

struct Name83 {
    std::array<char, 11> raw{};
    std::uint8_t case_flags = 0; // 0x08: base in lower case, 0x10: extension in lower case
};

bool uniform_case(std::string_view s, bool& lower)
{
    bool has_upper = std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    bool has_lower = std::any_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    lower = has_lower;
    return !(has_upper && has_lower);
}

Result<Name83> to_83(const std::string& part, const std::string& path)
{
    auto dot = part.find('.');
    std::string base = part.substr(0, dot), ext = dot == std::string::npos ? "" : part.substr(dot + 1);
    auto valid = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_-~!#$%&'()@^`{}", c); };
    bool base_lower = false, ext_lower = false;
    if (base.empty() || base.size() > 8 || ext.size() > 3 || ext.find('.') != std::string::npos ||
        !std::all_of(base.begin(), base.end(), valid) || !std::all_of(ext.begin(), ext.end(), valid) ||
        !uniform_case(base, base_lower) || !uniform_case(ext, ext_lower))
        return fail(ErrorKind::internal, "boot partition file {} needs an 8.3 name in one case", path);
    Name83 name;
    name.raw.fill(' ');
    for (std::size_t i = 0; i < base.size(); i++)
        name.raw[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(base[i])));
    for (std::size_t i = 0; i < ext.size(); i++)
        name.raw[8 + i] = static_cast<char>(std::toupper(static_cast<unsigned char>(ext[i])));
    name.case_flags = static_cast<std::uint8_t>((base_lower ? 0x08 : 0) | (ext_lower ? 0x10 : 0));
    return name;
}

std::vector<std::string> split(const std::string& path)
{
    std::vector<std::string> parts;
    std::size_t start = 1;
    while (start < path.size()) {
        auto end = path.find('/', start);
        if (end == std::string::npos)
            end = path.size();
        parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

// The folders and files of the file system, laid out into clusters.
struct Node {
    std::string name; // one path component; empty for the root
    bool directory = true;
    std::span<const std::byte> bytes;
    std::map<std::string, std::size_t> children; // by name: a stable order
    std::uint32_t first_cluster = 0;
    std::uint32_t clusters = 0;
};

struct Geometry {
    std::uint32_t total_sectors;
    std::uint32_t sectors_per_cluster;
    std::uint32_t fat_sectors;
    std::uint32_t cluster_count;
    std::uint32_t data_start; // first sector of cluster 2
};

Geometry geometry_for(std::uint64_t size, std::uint32_t spc)
{
    auto total = static_cast<std::uint32_t>(size / sector);
    std::uint32_t fat_sectors = 1, clusters = 0;
    for (int i = 0; i < 8; i++) { // converges in two or three rounds
        clusters = (total - reserved_sectors - root_sectors - fat_copies * fat_sectors) / spc;
        fat_sectors = ((clusters + 2) * 2 + sector - 1) / sector;
    }
    clusters = (total - reserved_sectors - root_sectors - fat_copies * fat_sectors) / spc;
    return {total, spc, fat_sectors, clusters, reserved_sectors + fat_copies * fat_sectors + root_sectors};
}

Result<std::vector<Node>> build_tree(const std::vector<FatFile>& files)
{
    std::vector<Node> nodes(1);
    for (const auto& file : files) {
        auto parts = split(file.path);
        if (parts.empty())
            return fail(ErrorKind::internal, "boot partition file without a name");
        std::size_t at = 0;
        for (std::size_t i = 0; i < parts.size(); i++) {
            if (auto name = to_83(parts[i], file.path); !name)
                return fail(name.error());
            bool last = i + 1 == parts.size();
            auto found = nodes[at].children.find(parts[i]);
            if (found == nodes[at].children.end()) {
                Node node{.name = parts[i], .directory = !last, .bytes = last ? file.bytes : std::span<const std::byte>{}};
                nodes.push_back(node);
                found = nodes[at].children.emplace(parts[i], nodes.size() - 1).first;
            } else if (last || !nodes[found->second].directory) {
                return fail(ErrorKind::internal, "boot partition file {} is listed twice", file.path);
            }
            at = found->second;
        }
    }
    return nodes;
}

std::uint32_t clusters_for(std::uint64_t bytes, std::uint32_t cluster_bytes)
{
    return static_cast<std::uint32_t>((bytes + cluster_bytes - 1) / cluster_bytes);
}

std::uint32_t directory_bytes(const Node& node) { return static_cast<std::uint32_t>((node.children.size() + 2) * 32); }

template <class T>
void put(std::vector<std::byte>& buffer, std::size_t at, T value)
{
    std::memcpy(buffer.data() + at, &value, sizeof value); // x86-64: little-endian like FAT
}

void put_entry(std::vector<std::byte>& buffer, std::size_t at, const Name83& name, bool directory,
               std::uint32_t cluster, std::uint32_t size)
{
    std::memcpy(buffer.data() + at, name.raw.data(), 11);
    buffer[at + 11] = std::byte{static_cast<unsigned char>(directory ? 0x10 : 0x20)};
    buffer[at + 12] = std::byte{name.case_flags};
    put<std::uint16_t>(buffer, at + 16, fixed_date); // created
    put<std::uint16_t>(buffer, at + 18, fixed_date); // accessed
    put<std::uint16_t>(buffer, at + 24, fixed_date); // written
    put<std::uint16_t>(buffer, at + 26, static_cast<std::uint16_t>(cluster));
    put<std::uint32_t>(buffer, at + 28, directory ? 0 : size);
}

Name83 dot_name(int dots)
{
    Name83 name;
    name.raw.fill(' ');
    for (int i = 0; i < dots; i++)
        name.raw[static_cast<std::size_t>(i)] = '.';
    return name;
}

Status write_all(int fd, std::span<const std::byte> bytes, std::uint64_t at)
{
    return write_fully_at(fd, bytes, at, "the boot partition");
}

} // namespace

Result<FatLayout> plan_fat(const std::vector<FatFile>& files)
{
    auto nodes = build_tree(files);
    if (!nodes)
        return fail(nodes.error());
    for (std::uint32_t spc = 1; spc <= 64; spc *= 2) {
        std::uint32_t cluster_bytes = spc * sector;
        std::uint64_t needed = 0;
        for (std::size_t i = 1; i < nodes->size(); i++) {
            const Node& node = (*nodes)[i];
            needed += clusters_for(node.directory ? directory_bytes(node) : node.bytes.size(), cluster_bytes);
        }
        auto clusters = std::max<std::uint64_t>(needed + 8, min_clusters);
        if (clusters > max_clusters)
            continue;
        auto fat_sectors = ((clusters + 2) * 2 + sector - 1) / sector;
        std::uint64_t bytes = (reserved_sectors + fat_copies * fat_sectors + root_sectors + clusters * spc) * sector;
        std::uint64_t size = (bytes + mib - 1) / mib * mib;
        // Rounding up may push the cluster count past FAT16's limit: try a larger cluster.
        auto geometry = geometry_for(size, spc);
        if (geometry.cluster_count > max_clusters || geometry.cluster_count < needed)
            continue;
        return FatLayout{size, spc, geometry.cluster_count};
    }
    return fail(ErrorKind::invalid_input, "the boot files are too large for a FAT16 boot partition (over 2 GiB)");
}

Status write_fat(const std::vector<FatFile>& files, const FatLayout& layout, std::uint32_t volume_id,
                 const std::string& label, std::uint64_t hidden_sectors, int fd, std::uint64_t offset)
{
    auto built = build_tree(files);
    if (!built)
        return fail(built.error());
    auto& nodes = *built;
    auto g = geometry_for(layout.size_bytes, layout.sectors_per_cluster);
    std::uint32_t cluster_bytes = g.sectors_per_cluster * sector;

    // Allocate clusters in tree order (parents before children), contiguously.
    std::uint32_t next = 2;
    std::vector<std::size_t> order{0};
    for (std::size_t i = 0; i < order.size(); i++)
        for (const auto& [name, child] : nodes[order[i]].children)
            order.push_back(child);
    for (std::size_t i = 1; i < order.size(); i++) {
        Node& node = nodes[order[i]];
        node.clusters = clusters_for(node.directory ? directory_bytes(node) : node.bytes.size(), cluster_bytes);
        node.first_cluster = node.clusters ? next : 0;
        next += node.clusters;
    }
    if (next - 2 > g.cluster_count)
        return fail(ErrorKind::internal, "boot partition plan is too small for its files");

    // Boot sector with the BIOS parameter block.
    std::vector<std::byte> boot(sector);
    const unsigned char jump[] = {0xEB, 0x3C, 0x90};
    std::memcpy(boot.data(), jump, 3);
    std::memcpy(boot.data() + 3, "UK      ", 8);
    put<std::uint16_t>(boot, 11, sector);
    boot[13] = std::byte{static_cast<unsigned char>(g.sectors_per_cluster)};
    put<std::uint16_t>(boot, 14, reserved_sectors);
    boot[16] = std::byte{fat_copies};
    put<std::uint16_t>(boot, 17, root_entries);
    put<std::uint16_t>(boot, 19, g.total_sectors < 65536 ? static_cast<std::uint16_t>(g.total_sectors) : 0);
    boot[21] = std::byte{0xF8};
    put<std::uint16_t>(boot, 22, static_cast<std::uint16_t>(g.fat_sectors));
    put<std::uint16_t>(boot, 24, 63);
    put<std::uint16_t>(boot, 26, 255);
    put<std::uint32_t>(boot, 28, static_cast<std::uint32_t>(hidden_sectors));
    put<std::uint32_t>(boot, 32, g.total_sectors < 65536 ? 0 : g.total_sectors);
    boot[36] = std::byte{0x80};
    boot[38] = std::byte{0x29};
    put<std::uint32_t>(boot, 39, volume_id);
    std::string padded_label = (label + "           ").substr(0, 11);
    std::memcpy(boot.data() + 43, padded_label.data(), 11);
    std::memcpy(boot.data() + 54, "FAT16   ", 8);
    // Boot code for BIOSes that jump here anyway: halt forever (`cli; hlt; jmp $-1`).
    const unsigned char halt[] = {0xFA, 0xF4, 0xEB, 0xFD};
    std::memcpy(boot.data() + 62, halt, sizeof halt);
    boot[510] = std::byte{0x55};
    boot[511] = std::byte{0xAA};
    if (auto w = write_all(fd, boot, offset); !w)
        return w;

    // The allocation table, twice.
    std::vector<std::byte> fat(static_cast<std::size_t>(g.fat_sectors) * sector);
    put<std::uint16_t>(fat, 0, 0xFFF8);
    put<std::uint16_t>(fat, 2, 0xFFFF);
    for (const auto& node : nodes)
        for (std::uint32_t c = 0; c < node.clusters; c++) {
            std::uint32_t cluster = node.first_cluster + c;
            put<std::uint16_t>(fat, cluster * 2u, c + 1 == node.clusters ? 0xFFFF : static_cast<std::uint16_t>(cluster + 1));
        }
    for (std::uint32_t copy = 0; copy < fat_copies; copy++)
        if (auto w = write_all(fd, fat, offset + (reserved_sectors + copy * g.fat_sectors) * std::uint64_t{sector}); !w)
            return w;

    auto cluster_offset = [&](std::uint32_t cluster) {
        return offset + (g.data_start + std::uint64_t{cluster - 2} * g.sectors_per_cluster) * sector;
    };
    auto listing = [&](const Node& dir, std::size_t slots, std::uint32_t parent_cluster, bool is_root) -> Result<std::vector<std::byte>> {
        std::vector<std::byte> buffer(slots * 32);
        std::size_t at = 0;
        if (is_root) {
            Name83 volume;
            volume.raw.fill(' ');
            std::memcpy(volume.raw.data(), padded_label.data(), 11);
            put_entry(buffer, 0, volume, false, 0, 0);
            buffer[11] = std::byte{0x08}; // volume label
            at = 32;
        } else {
            put_entry(buffer, 0, dot_name(1), true, dir.first_cluster, 0);
            put_entry(buffer, 32, dot_name(2), true, parent_cluster, 0);
            at = 64;
        }
        for (const auto& [name, child] : dir.children) {
            auto short_name = to_83(name, name);
            if (!short_name)
                return fail(short_name.error());
            const Node& c = nodes[child];
            put_entry(buffer, at, *short_name, c.directory, c.first_cluster, static_cast<std::uint32_t>(c.bytes.size()));
            at += 32;
        }
        return buffer;
    };

    // The root folder lives in its fixed area; everything else in clusters.
    if (nodes[0].children.size() + 1 > root_entries)
        return fail(ErrorKind::internal, "too many files in the boot partition's root");
    auto root = listing(nodes[0], root_entries, 0, true);
    if (!root)
        return fail(root.error());
    if (auto w = write_all(fd, *root, offset + (reserved_sectors + fat_copies * g.fat_sectors) * std::uint64_t{sector}); !w)
        return w;
    std::vector<std::size_t> parent_of(nodes.size(), 0);
    for (std::size_t i = 0; i < nodes.size(); i++)
        for (const auto& [name, child] : nodes[i].children)
            parent_of[child] = i;
    for (std::size_t i = 1; i < nodes.size(); i++) {
        const Node& node = nodes[i];
        if (node.directory) {
            auto slots = static_cast<std::size_t>(node.clusters) * cluster_bytes / 32;
            auto parent = parent_of[i] == 0 ? 0u : nodes[parent_of[i]].first_cluster;
            auto bytes = listing(node, slots, parent, false);
            if (!bytes)
                return fail(bytes.error());
            if (auto w = write_all(fd, *bytes, cluster_offset(node.first_cluster)); !w)
                return w;
        } else if (!node.bytes.empty()) {
            if (auto w = write_all(fd, node.bytes, cluster_offset(node.first_cluster)); !w)
                return w;
        }
    }
    return {};
}

std::optional<FatRegions> read_fat_regions(int fd, std::uint64_t offset)
{
    std::array<std::uint8_t, 512> boot{};
    if (!read_fully_at(fd, std::as_writable_bytes(std::span(boot)), offset, "the boot partition"))
        return std::nullopt;
    auto u16 = [&](std::size_t at) { return static_cast<std::uint32_t>(boot[at] | (boot[at + 1] << 8)); };
    std::uint32_t bytes_per_sector = u16(11), reserved = u16(14), fats = boot[16], entries = u16(17),
                  fat_sectors = u16(22);
    if (bytes_per_sector == 0 || entries == 0)
        return std::nullopt;
    FatRegions regions;
    regions.root_directory = offset + (reserved + fats * fat_sectors) * std::uint64_t(bytes_per_sector);
    regions.root_entries = entries;
    regions.data = regions.root_directory + entries * 32ull;
    return regions;
}

} // namespace uk::image
