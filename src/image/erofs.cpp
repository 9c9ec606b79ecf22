#include "image/erofs.hpp"

#include "core/files.hpp"
#include "core/sha256.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

// The on-disk format is the kernel's fs/erofs/erofs_fs.h (Linux 6.1): a 128-byte superblock
// at byte 1024, inodes in 32-byte slots from the metadata block on (a node number is a
// slot's index), directories as blocks of 12-byte entries followed by their names.

namespace uk::image {
namespace {

constexpr std::uint32_t block_bytes = 4096;
constexpr std::uint32_t slot_bytes = 32;
constexpr std::uint32_t meta_block = 1; // block 0 holds the superblock
constexpr std::uint16_t layout_flat_plain = 0;
constexpr std::uint32_t dirent_bytes = 12;
constexpr std::uint8_t file_type_regular = 1, file_type_directory = 2, file_type_symlink = 7;

// Little-endian fields, as EROFS stores them.
void put(std::string& out, std::size_t at, std::uint64_t v, std::size_t bytes)
{
    for (std::size_t i = 0; i < bytes; i++)
        out[at + i] = static_cast<char>(v >> (8 * i));
}
void put16(std::string& out, std::size_t at, std::uint16_t v) { put(out, at, v, 2); }
void put32(std::string& out, std::size_t at, std::uint32_t v) { put(out, at, v, 4); }
void put64(std::string& out, std::size_t at, std::uint64_t v) { put(out, at, v, 8); }
std::uint64_t get(const std::string& in, std::size_t at, std::size_t bytes)
{
    std::uint64_t v = 0;
    for (std::size_t i = bytes; i-- > 0;)
        v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    return v;
}

std::uint64_t blocks_for(std::uint64_t bytes) { return (bytes + block_bytes - 1) / block_bytes; }

std::uint8_t dirent_type(TreeEntry::Type type)
{
    switch (type) {
    case TreeEntry::Type::directory: return file_type_directory;
    case TreeEntry::Type::file: return file_type_regular;
    case TreeEntry::Type::symlink: return file_type_symlink;
    }
    return 0;
}

struct Node {
    std::string path;
    const TreeEntry* entry = nullptr;
    std::uint64_t nid = 0;
    std::uint64_t size = 0;
    std::uint32_t block = 0;
    std::uint32_t links = 1;
    std::string inline_bytes; // a folder's entries or a symlink's target, written with the metadata
    std::vector<std::size_t> children;
    std::size_t parent = 0;
};

bool needs_extended_inode(const Node& node)
{
    return node.size > UINT32_MAX || node.entry->uid > UINT16_MAX || node.entry->gid > UINT16_MAX ||
           node.links > UINT16_MAX;
}

// A folder's blocks: its entries sorted by name (the kernel's lookup bisects them),
// packed whole into 4 KiB blocks; the last block ends where its last name ends.
std::string directory_bytes(const std::vector<Node>& nodes, std::size_t index)
{
    struct Item {
        std::string name;
        std::uint64_t nid;
        std::uint8_t type;
    };
    const Node& self = nodes[index];
    std::vector<Item> items{{".", self.nid, file_type_directory}, {"..", nodes[self.parent].nid, file_type_directory}};
    for (auto child : self.children)
        items.push_back({name_of(nodes[child].path), nodes[child].nid, dirent_type(nodes[child].entry->type)});
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.name < b.name; });

    std::string out;
    std::size_t next = 0;
    while (next < items.size()) {
        std::size_t count = 0, used = 0;
        while (next + count < items.size() &&
               used + dirent_bytes * (count + 1) + items[next + count].name.size() <= block_bytes) {
            used += items[next + count].name.size();
            count++;
        }
        std::string block(block_bytes, '\0');
        std::size_t name_at = dirent_bytes * count;
        for (std::size_t i = 0; i < count; i++) {
            const auto& item = items[next + i];
            put64(block, i * dirent_bytes, item.nid);
            put16(block, i * dirent_bytes + 8, static_cast<std::uint16_t>(name_at));
            block[i * dirent_bytes + 10] = static_cast<char>(item.type);
            block.replace(name_at, item.name.size(), item.name);
            name_at += item.name.size();
        }
        next += count;
        out += next < items.size() ? block : block.substr(0, name_at);
    }
    return out;
}

std::string inode_bytes(const Node& node, std::uint32_t ino)
{
    const auto& e = *node.entry;
    auto mode = static_cast<std::uint16_t>(type_bits(e.type) | (e.mode & 07777));
    if (!needs_extended_inode(node)) {
        std::string out(32, '\0');
        put16(out, 0, layout_flat_plain << 1);
        put16(out, 4, mode);
        put16(out, 6, static_cast<std::uint16_t>(node.links));
        put32(out, 8, static_cast<std::uint32_t>(node.size));
        put32(out, 16, node.block);
        put32(out, 20, ino);
        put16(out, 24, static_cast<std::uint16_t>(e.uid));
        put16(out, 26, static_cast<std::uint16_t>(e.gid));
        return out;
    }
    std::string out(64, '\0');
    put16(out, 0, (layout_flat_plain << 1) | 1);
    put16(out, 4, mode);
    put64(out, 8, node.size);
    put32(out, 16, node.block);
    put32(out, 20, ino);
    put32(out, 24, e.uid);
    put32(out, 28, e.gid);
    put32(out, 44, node.links);
    return out;
}

Status copy_host_file(const Node& node, int fd, std::uint64_t at)
{
    const auto& host = std::get<HostFile>(node.entry->content);
    // Checked again here, as it is read: the file may have changed since it was planned.
    auto in = open_regular_file(host.path);
    if (!in)
        return fail(in.error().kind, "{} (for {} in the image)", in.error().message, node.path);
    std::vector<std::byte> buffer(1 << 20);
    std::uint64_t copied = 0;
    for (;;) {
        ssize_t n = ::read(in->get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(ErrorKind::io, "cannot read {}: {}", host.path.string(), std::strerror(errno));
        if (n == 0)
            break;
        if (copied + static_cast<std::uint64_t>(n) > node.size)
            break;
        if (auto w = write_fully_at(fd, std::span(buffer.data(), static_cast<std::size_t>(n)), at + copied,
                                    "the new image");
            !w)
            return fail(w.error());
        copied += static_cast<std::uint64_t>(n);
    }
    if (copied != node.size)
        return fail(ErrorKind::io, "{} changed while the image was written (for {}): build again", host.path.string(),
                    node.path);
    return {};
}

} // namespace

Result<std::uint64_t> write_erofs(const FileTree& tree, const ErofsOptions& options, int fd, std::uint64_t offset)
{
    // Nodes in path order, "/" first: the root's node number is 0.
    std::vector<Node> nodes;
    std::map<std::string, std::size_t> index_of;
    for (const auto& [path, entry] : tree.entries()) {
        Node node{.path = path, .entry = &entry};
        if (entry.type == TreeEntry::Type::file) {
            if (const auto* bytes = std::get_if<std::string>(&entry.content)) {
                node.size = bytes->size();
            } else if (const auto* host = std::get_if<HostFile>(&entry.content)) {
                struct stat st{};
                if (::stat(host->path.c_str(), &st) != 0)
                    return fail(ErrorKind::io, "cannot read {} (for {} in the image): {}", host->path.string(), path,
                                std::strerror(errno));
                node.size = static_cast<std::uint64_t>(st.st_size);
            }
        } else if (entry.type == TreeEntry::Type::symlink) {
            node.inline_bytes = entry.link_target;
            node.size = entry.link_target.size();
        } else {
            node.links = 2;
        }
        index_of[path] = nodes.size();
        nodes.push_back(std::move(node));
    }
    for (std::size_t i = 1; i < nodes.size(); i++) {
        auto parent = index_of.at(parent_of(nodes[i].path));
        nodes[i].parent = parent;
        nodes[parent].children.push_back(i);
        if (nodes[i].entry->type == TreeEntry::Type::directory)
            nodes[parent].links++;
    }

    std::uint64_t slots = 0;
    for (auto& node : nodes) {
        node.nid = slots;
        slots += needs_extended_inode(node) ? 2u : 1u;
    }
    if (nodes.empty() || nodes[0].nid != 0)
        return fail(ErrorKind::internal, "write_erofs: the tree has no root");
    std::uint64_t next_block = meta_block + blocks_for(slots * slot_bytes);
    for (std::size_t i = 0; i < nodes.size(); i++) {
        auto& node = nodes[i];
        if (node.entry->type == TreeEntry::Type::directory) {
            node.inline_bytes = directory_bytes(nodes, i);
            node.size = node.inline_bytes.size();
        }
        if (node.size > 0) {
            node.block = static_cast<std::uint32_t>(next_block);
            next_block += blocks_for(node.size);
        }
        if (next_block > UINT32_MAX)
            return fail(ErrorKind::invalid_input, "the root is too large for EROFS (over 16 TiB)");
    }

    std::string meta(blocks_for(slots * slot_bytes) * block_bytes, '\0');
    for (std::size_t i = 0; i < nodes.size(); i++) {
        auto bytes = inode_bytes(nodes[i], static_cast<std::uint32_t>(i + 1));
        meta.replace(nodes[i].nid * slot_bytes, bytes.size(), bytes);
    }
    auto digest = sha256_hex(as_bytes(meta));
    std::string super(block_bytes, '\0');
    const std::size_t s = erofs_superblock_offset;
    put32(super, s + 0, erofs_magic);
    super[s + 12] = 12; // 4 KiB blocks
    put16(super, s + 14, 0); // the root's node number
    put64(super, s + 16, nodes.size());
    put64(super, s + 24, options.build_time);
    put32(super, s + 36, static_cast<std::uint32_t>(next_block));
    put32(super, s + 40, meta_block);
    for (std::size_t i = 0; i < 16; i++) // the volume's UUID: from its metadata, so the same tree gives the same bytes
        super[s + 48 + i] = static_cast<char>(std::stoi(digest.substr(2 * i, 2), nullptr, 16));
    super.replace(s + 64, 7, "uk-root");

    if (auto w = write_fully_at(fd, as_bytes(super), offset, "the new image"); !w)
        return fail(w.error());
    if (auto w = write_fully_at(fd, as_bytes(meta), offset + std::uint64_t(meta_block) * block_bytes, "the new image");
        !w)
        return fail(w.error());
    for (const auto& node : nodes) {
        if (options.cancelled())
            return fail(ErrorKind::interrupted, "stopped while writing the image; nothing was written");
        std::uint64_t at = offset + std::uint64_t(node.block) * block_bytes;
        Status written;
        if (!node.inline_bytes.empty())
            written = write_fully_at(fd, as_bytes(node.inline_bytes), at, "the new image");
        else if (const auto* bytes = std::get_if<std::string>(&node.entry->content); bytes && !bytes->empty())
            written = write_fully_at(fd, as_bytes(*bytes), at, "the new image");
        else if (std::holds_alternative<HostFile>(node.entry->content) && node.size > 0)
            written = copy_host_file(node, fd, at);
        if (!written)
            return fail(written.error());
    }
    return next_block * block_bytes;
}

Result<ErofsReader> ErofsReader::open(int fd, std::uint64_t offset, std::uint64_t size)
{
    ErofsReader reader(fd, offset, size);
    std::string super(128, '\0');
    auto damaged = [](const char* what) { return fail(ErrorKind::invalid_input, "the EROFS root is damaged ({})", what); };
    if (size < block_bytes ||
        !read_fully_at(fd, std::as_writable_bytes(std::span(super)), offset + erofs_superblock_offset, "the image"))
        return damaged("superblock");
    if (get(super, 0, 4) != erofs_magic)
        return damaged("no EROFS superblock");
    if (super[12] != 12)
        return damaged("not 4 KiB blocks");
    if (get(super, 80, 4) != 0)
        return damaged("features uk does not write");
    reader.blocks_ = static_cast<std::uint32_t>(get(super, 36, 4));
    reader.meta_block_ = static_cast<std::uint32_t>(get(super, 40, 4));
    reader.root_nid_ = get(super, 14, 2);
    if (reader.bytes_used() > size || reader.meta_block_ >= reader.blocks_)
        return damaged("larger than its partition");
    return reader;
}

Result<ErofsReader::Inode> ErofsReader::inode(std::uint64_t nid) const
{
    std::uint64_t at = std::uint64_t(meta_block_) * block_bytes + nid * slot_bytes;
    if (at + 64 > bytes_used())
        return fail(ErrorKind::invalid_input, "the EROFS root is damaged (inode {} lies outside it)", nid);
    std::string raw(64, '\0');
    if (auto r = read_fully_at(fd_, std::as_writable_bytes(std::span(raw)), offset_ + at, "the image"); !r)
        return fail(r.error());
    auto format = get(raw, 0, 2);
    if (((format >> 1) & 7) != layout_flat_plain)
        return fail(ErrorKind::invalid_input, "the EROFS root is damaged (inode {} is not stored plainly)", nid);
    bool extended = format & 1;
    Inode inode{.mode = static_cast<std::uint16_t>(get(raw, 4, 2)),
                .size = extended ? get(raw, 8, 8) : get(raw, 8, 4),
                .block = static_cast<std::uint32_t>(get(raw, 16, 4))};
    if (inode.size > 0 && std::uint64_t(inode.block) * block_bytes + inode.size > bytes_used())
        return fail(ErrorKind::invalid_input, "the EROFS root is damaged (inode {}'s data lies outside it)", nid);
    return inode;
}

Result<std::string> ErofsReader::data(const Inode& inode) const
{
    std::string bytes(inode.size, '\0');
    if (auto r = read_fully_at(fd_, std::as_writable_bytes(std::span(bytes)),
                               offset_ + std::uint64_t(inode.block) * block_bytes, "the image");
        !r)
        return fail(r.error());
    return bytes;
}

Result<std::vector<ErofsReader::Child>> ErofsReader::children(const Inode& directory) const
{
    auto bytes = data(directory);
    if (!bytes)
        return fail(bytes.error());
    auto damaged = [] { return fail(ErrorKind::invalid_input, "the EROFS root is damaged (a folder's entries)"); };
    std::vector<Child> out;
    for (std::size_t start = 0; start < bytes->size(); start += block_bytes) {
        std::size_t end = std::min<std::size_t>(bytes->size(), start + block_bytes);
        if (end - start < dirent_bytes)
            return damaged();
        std::size_t first_name = get(*bytes, start + 8, 2);
        std::size_t count = first_name / dirent_bytes;
        if (count == 0 || first_name > end - start)
            return damaged();
        for (std::size_t i = 0; i < count; i++) {
            std::size_t name_at = get(*bytes, start + i * dirent_bytes + 8, 2);
            std::size_t name_end = i + 1 < count ? get(*bytes, start + (i + 1) * dirent_bytes + 8, 2) : end - start;
            if (name_at < first_name || name_end < name_at || name_end > end - start)
                return damaged();
            std::string name = bytes->substr(start + name_at, name_end - name_at);
            name = name.substr(0, name.find('\0'));
            if (name.empty())
                return damaged();
            if (name != "." && name != "..")
                out.push_back({name, get(*bytes, start + i * dirent_bytes, 8)});
        }
    }
    return out;
}

Status ErofsReader::walk(const std::string& path, std::uint64_t nid, int depth, std::vector<ErofsEntry>& out) const
{
    if (depth > 64 || out.size() > 1'000'000)
        return fail(ErrorKind::invalid_input, "the EROFS root is damaged (its folders loop)");
    auto node = inode(nid);
    if (!node)
        return fail(node.error());
    ErofsEntry entry{.path = path, .mode = static_cast<std::uint16_t>(node->mode & 07777), .size = node->size};
    switch (node->mode & S_IFMT) {
    case S_IFDIR: entry.type = 'd'; break;
    case S_IFREG: entry.type = 'f'; break;
    case S_IFLNK: {
        entry.type = 'l';
        auto target = data(*node);
        if (!target)
            return fail(target.error());
        entry.link_target = *target;
        break;
    }
    default: entry.type = 'o';
    }
    out.push_back(entry);
    if (entry.type != 'd')
        return {};
    auto listed = children(*node);
    if (!listed)
        return fail(listed.error());
    for (const auto& child : *listed)
        if (auto w = walk(path == "/" ? "/" + child.name : path + "/" + child.name, child.nid, depth + 1, out); !w)
            return w;
    return {};
}

Result<std::vector<ErofsEntry>> ErofsReader::list() const
{
    std::vector<ErofsEntry> out;
    if (auto w = walk("/", root_nid_, 0, out); !w)
        return fail(w.error());
    return out;
}

Result<std::string> ErofsReader::read(const std::string& path) const
{
    auto nid = root_nid_;
    std::size_t at = 1;
    while (at < path.size()) {
        auto slash = path.find('/', at);
        auto name = path.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
        at = slash == std::string::npos ? path.size() : slash + 1;
        auto folder = inode(nid);
        if (!folder)
            return fail(folder.error());
        if ((folder->mode & S_IFMT) != S_IFDIR)
            return fail(ErrorKind::not_found, "{} is not in the root", path);
        auto listed = children(*folder);
        if (!listed)
            return fail(listed.error());
        auto found = std::find_if(listed->begin(), listed->end(), [&](const Child& c) { return c.name == name; });
        if (found == listed->end())
            return fail(ErrorKind::not_found, "{} is not in the root", path);
        nid = found->nid;
    }
    auto file = inode(nid);
    if (!file)
        return fail(file.error());
    if ((file->mode & S_IFMT) != S_IFREG)
        return fail(ErrorKind::not_found, "{} in the root is not a file", path);
    return data(*file);
}

} // namespace uk::image
