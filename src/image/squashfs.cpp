#include "image/squashfs.hpp"

#include "image/sqfs_region.hpp"

#include "core/files.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>

namespace uk::image {
namespace {

constexpr std::uint32_t device_block_size = 4096;
constexpr std::uint32_t no_xattr = 0xFFFFFFFF;

// libsquashfs 1.2's lz4 compressor keeps a "compressed" block even when it is larger
// than its input (the 4-byte ID table becomes 5 bytes), which squashfs-tools' unsquashfs
// rejects as corruption. This wrapper applies the rule mksquashfs follows: a block that
// does not shrink is stored uncompressed (do_block returning 0 says so).
struct ShrinkOrStore {
    sqfs_compressor_t base; // first: libsquashfs casts between the two
    sqfs_compressor_t* inner;
};

sqfs_compressor_t* wrap_compressor(sqfs_compressor_t* inner);

void shrink_or_store_destroy(sqfs_object_t* object)
{
    auto* self = reinterpret_cast<ShrinkOrStore*>(object);
    sqfs_destroy(self->inner);
    delete self;
}

sqfs_object_t* shrink_or_store_copy(const sqfs_object_t* object)
{
    // The block processor copies the compressor for each worker thread.
    auto* inner = static_cast<sqfs_compressor_t*>(sqfs_copy(reinterpret_cast<const ShrinkOrStore*>(object)->inner));
    return inner ? reinterpret_cast<sqfs_object_t*>(wrap_compressor(inner)) : nullptr;
}

void shrink_or_store_configuration(const sqfs_compressor_t* cmp, sqfs_compressor_config_t* config)
{
    auto* inner = reinterpret_cast<const ShrinkOrStore*>(cmp)->inner;
    inner->get_configuration(inner, config);
}

int shrink_or_store_write_options(sqfs_compressor_t* cmp, sqfs_file_t* file)
{
    auto* inner = reinterpret_cast<ShrinkOrStore*>(cmp)->inner;
    return inner->write_options(inner, file);
}

int shrink_or_store_read_options(sqfs_compressor_t* cmp, sqfs_file_t* file)
{
    auto* inner = reinterpret_cast<ShrinkOrStore*>(cmp)->inner;
    return inner->read_options(inner, file);
}

sqfs_s32 shrink_or_store_block(sqfs_compressor_t* cmp, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out, sqfs_u32 outsize)
{
    auto* inner = reinterpret_cast<ShrinkOrStore*>(cmp)->inner;
    sqfs_s32 result = inner->do_block(inner, in, size, out, outsize);
    return result > 0 && static_cast<sqfs_u32>(result) >= size ? 0 : result;
}

sqfs_compressor_t* wrap_compressor(sqfs_compressor_t* inner)
{
    auto* self = new ShrinkOrStore{};
    self->base.base.destroy = shrink_or_store_destroy;
    self->base.base.copy = shrink_or_store_copy;
    self->base.get_configuration = shrink_or_store_configuration;
    self->base.write_options = shrink_or_store_write_options;
    self->base.read_options = shrink_or_store_read_options;
    self->base.do_block = shrink_or_store_block;
    self->inner = inner;
    return &self->base;
}

struct InodeDeleter {
    void operator()(sqfs_inode_generic_t* inode) const { sqfs_free(inode); }
};
using OwnedInode = std::unique_ptr<sqfs_inode_generic_t, InodeDeleter>;

std::string describe(int code)
{
    switch (code) {
    case SQFS_ERROR_ALLOC: return "out of memory";
    case SQFS_ERROR_IO: return "an I/O error on the image file";
    case SQFS_ERROR_COMPRESSOR: return "a compressor error";
    case SQFS_ERROR_OVERFLOW: return "a size too large for SquashFS";
    case SQFS_ERROR_OUT_OF_BOUNDS: return "an out-of-bounds access";
    default: return "libsquashfs error " + std::to_string(code);
    }
}

Error squashfs_error(const char* step, int code)
{
    return Error{ErrorKind::io, fmt::format("cannot write the root file system ({}): {}", step, describe(code))};
}

struct Node {
    std::string path;
    const TreeEntry* entry;
    std::vector<std::size_t> children; // indexes, sorted by name
    std::uint32_t inode_number = 0;
    std::uint64_t inode_reference = 0;
    sqfs_inode_generic_t* file_inode = nullptr; // regular files: owned by `file_inodes`
};

Status feed_file(sqfs_block_processor_t* processor, const TreeEntry& entry, sqfs_inode_generic_t** inode,
                 std::uint32_t flags, const std::string& guest_path)
{
    int result = sqfs_block_processor_begin_file(processor, inode, nullptr, flags);
    if (result != 0)
        return fail(squashfs_error("starting a file", result));
    if (const auto* bytes = std::get_if<std::string>(&entry.content)) {
        if (!bytes->empty() && (result = sqfs_block_processor_append(processor, bytes->data(), bytes->size())) != 0)
            return fail(squashfs_error("adding file data", result));
    } else if (const auto* host = std::get_if<HostFile>(&entry.content)) {
        // Checked again here, as it is read: the file may have changed since it was planned.
        auto fd = open_regular_file(host->path);
        if (!fd)
            return fail(fd.error().kind, "{} (for {} in the image)", fd.error().message, guest_path);
        std::vector<char> buffer(1 << 20);
        for (;;) {
            ssize_t n = ::read(fd->get(), buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return fail(ErrorKind::io, "cannot read {}: {}", host->path.string(), std::strerror(errno));
            if (n == 0)
                break;
            if ((result = sqfs_block_processor_append(processor, buffer.data(), static_cast<size_t>(n))) != 0)
                return fail(squashfs_error("adding file data", result));
        }
    }
    if ((result = sqfs_block_processor_end_file(processor)) != 0)
        return fail(squashfs_error("finishing a file", result));
    return {};
}

OwnedInode make_symlink_inode(const std::string& target)
{
    auto* raw = static_cast<sqfs_inode_generic_t*>(std::calloc(1, sizeof(sqfs_inode_generic_t) + target.size()));
    if (!raw)
        return OwnedInode(nullptr);
    raw->base.type = SQFS_INODE_SLINK;
    raw->payload_bytes_available = static_cast<sqfs_u32>(target.size());
    raw->payload_bytes_used = static_cast<sqfs_u32>(target.size());
    raw->data.slink.nlink = 1;
    raw->data.slink.target_size = static_cast<sqfs_u32>(target.size());
    std::memcpy(raw->extra, target.data(), target.size());
    return OwnedInode(raw);
}

} // namespace

Compression resolve_compression(Compression compression, std::uint64_t raw_bytes)
{
    // Below this a root's decompression costs nothing measurable and zstd keeps the image
    // smallest; above it lz4 boots as fast as no compression at half the size.
    constexpr std::uint64_t large_root = 32ull * 1000 * 1000;
    if (compression != Compression::automatic)
        return compression;
    return raw_bytes < large_root ? Compression::zstd : Compression::lz4;
}

std::uint32_t block_size_for(std::uint64_t raw_bytes)
{
    constexpr std::uint64_t large_root = 32ull * 1000 * 1000;
    return raw_bytes < large_root ? 128 * 1024 : 1024 * 1024;
}

Result<std::uint64_t> write_squashfs(const FileTree& tree, const SquashfsOptions& options, int fd,
                                     std::uint64_t offset)
{
    if (options.compression == Compression::automatic)
        return fail(ErrorKind::internal, "write_squashfs needs a resolved compression");
    auto region = make_region(fd, offset, 0, true);
    sqfs_file_t* file = &region.base;

    // Uncompressed roots still name a compressor (the kernel insists on one it knows)
    // and keep their small metadata tables lz4-compressed.
    auto id = options.compression == Compression::zstd ? SQFS_COMP_ZSTD : SQFS_COMP_LZ4;
    sqfs_compressor_config_t config;
    sqfs_compressor_config_init(&config, id, options.block_size, 0);
    if (options.compression == Compression::zstd)
        config.level = options.zstd_level;
    sqfs_compressor_t* raw_compressor = nullptr;
    int result = sqfs_compressor_create(&config, &raw_compressor);
    if (result != 0)
        return fail(squashfs_error("compressor", result));
    Owned<sqfs_compressor_t> compressor(wrap_compressor(raw_compressor));
    sqfs_compressor_config_t unconfig = config;
    unconfig.flags |= SQFS_COMP_FLAG_UNCOMPRESS;
    sqfs_compressor_t* raw_uncompressor = nullptr;
    result = sqfs_compressor_create(&unconfig, &raw_uncompressor);
    Owned<sqfs_compressor_t> uncompressor(raw_uncompressor);
    if (result != 0)
        return fail(squashfs_error("decompressor", result));

    sqfs_super_t super;
    if ((result = sqfs_super_init(&super, options.block_size, options.modification_time, id)) != 0 ||
        (result = sqfs_super_write(&super, file)) != 0)
        return fail(squashfs_error("superblock", result));
    if (compressor->write_options(compressor.get(), file) > 0)
        super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;

    Owned<sqfs_block_writer_t> block_writer(sqfs_block_writer_create(file, device_block_size, 0));
    Owned<sqfs_frag_table_t> fragments(sqfs_frag_table_create(0));
    if (!block_writer || !fragments)
        return fail(squashfs_error("setup", SQFS_ERROR_ALLOC));
    unsigned workers = options.workers ? options.workers : std::max(1u, std::thread::hardware_concurrency());
    sqfs_block_processor_desc_t description{};
    description.size = sizeof description;
    description.max_block_size = options.block_size;
    description.num_workers = workers;
    description.max_backlog = 8 * workers;
    description.cmp = compressor.get();
    description.wr = block_writer.get();
    description.tbl = fragments.get();
    // With these two, fragment deduplication compares bytes, not just hashes.
    description.file = file;
    description.uncmp = uncompressor.get();
    sqfs_block_processor_t* raw_processor = nullptr;
    if ((result = sqfs_block_processor_create_ex(&description, &raw_processor)) != 0)
        return fail(squashfs_error("block processor", result));
    Owned<sqfs_block_processor_t> processor(raw_processor);

    // Nodes in path order; inode numbers follow that order (root is 1).
    std::vector<Node> nodes;
    std::map<std::string, std::size_t> index_of;
    for (const auto& [path, entry] : tree.entries()) {
        index_of[path] = nodes.size();
        nodes.push_back(Node{path, &entry});
        nodes.back().inode_number = static_cast<std::uint32_t>(nodes.size());
    }
    for (std::size_t i = 1; i < nodes.size(); i++)
        nodes[index_of.at(parent_of(nodes[i].path))].children.push_back(i);
    for (auto& node : nodes)
        std::sort(node.children.begin(), node.children.end(), [&](std::size_t a, std::size_t b) {
            return name_of(nodes[a].path) < name_of(nodes[b].path);
        });

    // File data, in path order.
    std::uint32_t file_flags =
        options.compression == Compression::none ? std::uint32_t{SQFS_BLK_DONT_COMPRESS | SQFS_BLK_DONT_FRAGMENT} : 0u;
    // The processor grows (reallocates) each file's inode as its blocks are written and
    // hands it over at the end; a build that stops before then frees them after it.
    auto abandon = [&](Error error) -> Result<std::uint64_t> {
        // Finished first: libsquashfs frees its last blocks only when they are written out.
        (void)sqfs_block_processor_finish(processor.get());
        processor.reset();
        for (auto& node : nodes)
            sqfs_free(std::exchange(node.file_inode, nullptr));
        return fail(std::move(error));
    };
    for (auto& node : nodes) {
        if (node.entry->type != TreeEntry::Type::file)
            continue;
        if (options.cancelled())
            return abandon({ErrorKind::interrupted, "stopped while writing the image"});
        if (auto fed = feed_file(processor.get(), *node.entry, &node.file_inode, file_flags, node.path); !fed)
            return abandon(fed.error());
    }
    if ((result = sqfs_block_processor_finish(processor.get())) != 0)
        return abandon(squashfs_error("file data", result));
    std::vector<OwnedInode> owned_inodes;
    for (auto& node : nodes)
        if (node.file_inode)
            owned_inodes.emplace_back(node.file_inode);

    Owned<sqfs_meta_writer_t> inode_table(sqfs_meta_writer_create(file, compressor.get(), SQFS_META_WRITER_KEEP_IN_MEMORY));
    Owned<sqfs_meta_writer_t> directory_table(
        sqfs_meta_writer_create(file, compressor.get(), SQFS_META_WRITER_KEEP_IN_MEMORY));
    Owned<sqfs_id_table_t> ids(sqfs_id_table_create(0));
    if (!inode_table || !directory_table || !ids)
        return fail(squashfs_error("tables", SQFS_ERROR_ALLOC));
    Owned<sqfs_dir_writer_t> directories(sqfs_dir_writer_create(directory_table.get(), 0));
    sqfs_u16 root_id = 0;
    if (!directories || (result = sqfs_id_table_id_to_index(ids.get(), 0, &root_id)) != 0)
        return fail(squashfs_error("tables", result ? result : SQFS_ERROR_ALLOC));

    auto inode_count = static_cast<std::uint32_t>(nodes.size());
    // Children before their folder: a folder's listing needs their inode references.
    auto write_node = [&](auto&& self, std::size_t index, std::uint32_t parent_number) -> Status {
        Node& node = nodes[index];
        for (auto child : node.children)
            if (auto written = self(self, child, node.inode_number); !written)
                return written;
        OwnedInode made;
        sqfs_inode_generic_t* inode = node.file_inode;
        if (node.entry->type == TreeEntry::Type::symlink) {
            made = make_symlink_inode(node.entry->link_target);
            inode = made.get();
        } else if (node.entry->type == TreeEntry::Type::directory) {
            int code = sqfs_dir_writer_begin(directories.get(), 0);
            std::size_t subfolders = 0;
            for (auto child : node.children) {
                const Node& c = nodes[child];
                subfolders += c.entry->type == TreeEntry::Type::directory;
                auto mode = static_cast<sqfs_u16>(type_bits(c.entry->type) | c.entry->mode);
                if (code == 0)
                    code = sqfs_dir_writer_add_entry(directories.get(), name_of(c.path).c_str(), c.inode_number,
                                                     c.inode_reference, mode);
            }
            if (code == 0)
                code = sqfs_dir_writer_end(directories.get());
            if (code != 0)
                return fail(squashfs_error("directory", code));
            made.reset(sqfs_dir_writer_create_inode(directories.get(), 2 + subfolders, no_xattr, parent_number));
            inode = made.get();
        }
        if (!inode)
            return fail(squashfs_error("inode", SQFS_ERROR_ALLOC));
        inode->base.mode = static_cast<sqfs_u16>(type_bits(node.entry->type) | node.entry->mode);
        sqfs_u16 uid_index = root_id, gid_index = root_id;
        if ((node.entry->uid && (result = sqfs_id_table_id_to_index(ids.get(), node.entry->uid, &uid_index)) != 0) ||
            (node.entry->gid && (result = sqfs_id_table_id_to_index(ids.get(), node.entry->gid, &gid_index)) != 0))
            return fail(squashfs_error("id table", result));
        inode->base.uid_idx = uid_index;
        inode->base.gid_idx = gid_index;
        inode->base.mod_time = options.modification_time;
        inode->base.inode_number = node.inode_number;
        sqfs_u64 block = 0;
        sqfs_u32 within = 0;
        sqfs_meta_writer_get_position(inode_table.get(), &block, &within);
        node.inode_reference = (block << 16) | within;
        if (int code = sqfs_meta_writer_write_inode(inode_table.get(), inode); code != 0)
            return fail(squashfs_error("inode", code));
        return {};
    };
    // The root's parent is, by SquashFS convention, one past the last inode.
    if (auto written = write_node(write_node, 0, inode_count + 1); !written)
        return fail(written.error());

    super.inode_count = inode_count;
    super.root_inode_ref = nodes[0].inode_reference;
    super.flags |= SQFS_FLAG_NO_XATTRS;
    if (options.compression == Compression::none)
        super.flags |= SQFS_FLAG_UNCOMPRESSED_DATA | SQFS_FLAG_UNCOMPRESSED_FRAGMENTS | SQFS_FLAG_NO_FRAGMENTS;
    if ((result = sqfs_meta_writer_flush(inode_table.get())) != 0 ||
        (result = sqfs_meta_writer_flush(directory_table.get())) != 0)
        return fail(squashfs_error("tables", result));
    super.inode_table_start = file->get_size(file);
    if ((result = sqfs_meta_write_write_to_file(inode_table.get())) != 0)
        return fail(squashfs_error("inode table", result));
    super.directory_table_start = file->get_size(file);
    if ((result = sqfs_meta_write_write_to_file(directory_table.get())) != 0)
        return fail(squashfs_error("directory table", result));
    if ((result = sqfs_frag_table_write(fragments.get(), file, &super, compressor.get())) != 0)
        return fail(squashfs_error("fragment table", result));
    if ((result = sqfs_id_table_write(ids.get(), file, &super, compressor.get())) != 0)
        return fail(squashfs_error("id table", result));
    super.bytes_used = file->get_size(file);
    auto padded = (super.bytes_used + device_block_size - 1) / device_block_size * device_block_size;
    if ((result = file->truncate(file, padded)) != 0 || (result = sqfs_super_write(&super, file)) != 0)
        return fail(squashfs_error("superblock", result));
    return padded;
}

} // namespace uk::image
