#include "image/inspect.hpp"

#include "core/files.hpp"
#include "core/unique_fd.hpp"
#include "guest/vmlinux.hpp"
#include "image/disk.hpp"
#include "image/erofs.hpp"
#include "image/fat.hpp"
#include "image/firmware.hpp"
#include "image/gpt.hpp"
#include "image/sqfs_region.hpp"
#include "json/json_document.hpp"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <sqfs/compressor.h>
#include <sqfs/error.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
#include <sys/stat.h>
#include <unistd.h>

namespace uk::image {
namespace {

std::string compression_name(const sqfs_super_t& super)
{
    if (super.compression_id == SQFS_COMP_ZSTD)
        return "zstd";
    if (super.compression_id == SQFS_COMP_LZ4)
        return "lz4";
    return "other";
}

// uk writes file data uncompressed (none) with lz4 named for the metadata; a block's size
// word has bit 24 set when it is stored uncompressed.
bool data_uncompressed(const sqfs_tree_node_t* node)
{
    for (; node; node = node->next) {
        const auto* inode = node->inode;
        if (inode->base.type == SQFS_INODE_FILE || inode->base.type == SQFS_INODE_EXT_FILE) {
            auto blocks = sqfs_inode_get_file_block_count(inode);
            for (size_t i = 0; i < blocks; i++)
                if (!(inode->extra[i] & (1u << 24)))
                    return false;
        }
        if (!data_uncompressed(node->children))
            return false;
    }
    return true;
}

void walk(const sqfs_tree_node_t* node, const std::string& parent, std::vector<RootEntry>& out)
{
    for (; node; node = node->next) {
        std::string path = parent + "/" + reinterpret_cast<const char*>(node->name);
        const auto* inode = node->inode;
        RootEntry entry{.path = path, .mode = static_cast<std::uint16_t>(inode->base.mode & 07777)};
        switch (inode->base.type) {
        case SQFS_INODE_DIR:
        case SQFS_INODE_EXT_DIR:
            entry.type = 'd';
            break;
        case SQFS_INODE_SLINK:
        case SQFS_INODE_EXT_SLINK:
            entry.type = 'l';
            entry.link_target.assign(reinterpret_cast<const char*>(inode->extra),
                                     inode->base.type == SQFS_INODE_SLINK ? inode->data.slink.target_size
                                                                          : inode->data.slink_ext.target_size);
            break;
        default: {
            sqfs_u64 size = 0;
            sqfs_inode_get_file_size(inode, &size);
            entry.size = size;
        }
        }
        out.push_back(entry);
        walk(node->children, path, out);
    }
}

const sqfs_tree_node_t* find_node(const sqfs_tree_node_t* root, const std::vector<std::string>& parts)
{
    const sqfs_tree_node_t* node = root;
    for (const auto& part : parts) {
        const sqfs_tree_node_t* child = node->children;
        while (child && part != reinterpret_cast<const char*>(child->name))
            child = child->next;
        if (!child)
            return nullptr;
        node = child;
    }
    return node;
}

// An arm64 kernel is an EFI zboot file whose Image, and so its banner, is xz-compressed:
// the header (guest/vmlinux.hpp) says how much of the file to read and unpack.
std::string arm64_kernel_version(int fd, std::uint64_t data)
{
    std::array<std::byte, 64> header{};
    if (!read_fully_at(fd, header, data, "the image"))
        return "";
    auto length = guest::zboot_length(header);
    if (!length || *length > (std::size_t{64} << 20))
        return "";
    std::vector<std::byte> file(*length);
    if (!read_fully_at(fd, file, data, "the image"))
        return "";
    auto image = guest::extract_arm64_image(file);
    return image ? guest::kernel_release_in(*image) : "";
}

// The kernel is the first file uk writes into the boot partition: the bzImage setup header
// ("HdrS" at 0x202) sits at the start of the data area, and its version string at 0x200
// plus the offset stored at 0x20E.
std::string kernel_version(int fd, std::uint64_t boot_offset, Arch arch)
{
    auto regions = read_fat_regions(fd, boot_offset);
    if (!regions)
        return "";
    auto data = regions->data;
    if (arch == Arch::arm64)
        return arm64_kernel_version(fd, data);
    std::array<std::uint8_t, 0x300> setup{};
    if (!read_fully_at(fd, std::as_writable_bytes(std::span(setup)), data, "the image") ||
        std::memcmp(setup.data() + 0x202, "HdrS", 4) != 0)
        return "";
    auto at = 0x200u + static_cast<unsigned>(setup[0x20E] | (setup[0x20F] << 8));
    std::array<char, 128> version{};
    if (!read_fully_at(fd, std::as_writable_bytes(std::span(version)), data + at, "the image"))
        return "";
    std::string text(version.data(), strnlen(version.data(), version.size()));
    return text.substr(0, text.find(' ')); // "6.1.192 (uk@uk) #1 ..." -> "6.1.192"
}

} // namespace

Result<ImageInfo> inspect_image(const std::filesystem::path& image)
{
    auto format = detect_disk_format(image);
    if (!format)
        return fail(format.error());
    if (*format != "raw")
        return fail(ErrorKind::invalid_input, "{} is a {} image: uk inspects raw ones (qemu-img convert -O raw)",
                    image.string(), *format);
    auto table = read_gpt(image);
    if (!table)
        return fail(table.error());
    const Partition* boot = nullptr;
    const Partition* root = nullptr;
    for (const auto& p : table->partitions) {
        if (p.name == boot_partition_name)
            boot = &p;
        if (p.name == root_partition_name)
            root = &p;
    }
    if (!boot || !root)
        return fail(ErrorKind::invalid_input, "{} is not a uk image (no {} and {} partitions)", image.string(),
                    boot_partition_name, root_partition_name);

    ImageInfo info;
    info.file = image;
    struct stat st{};
    if (::stat(image.c_str(), &st) == 0) {
        info.size_bytes = static_cast<std::uint64_t>(st.st_size);
        info.allocated_bytes = static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
    info.firmware_bootable = has_boot_loader(image);
    info.root_partuuid = format_guid(root->unique);
    info.arch = arch_of_root_type(root->type).value_or(Arch::amd64);

    UniqueFd opened(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
    int fd = opened.get();
    if (fd < 0)
        return fail(ErrorKind::io, "cannot read {}", image.string());
    info.kernel_version = kernel_version(fd, boot->first_lba * 512, info.arch);

    const std::uint64_t root_offset = root->first_lba * 512, root_size = (root->last_lba - root->first_lba + 1) * 512;
    auto damaged = [&](const char* what) {
        return fail(ErrorKind::invalid_input, "{}: the root file system is damaged ({})", image.string(), what);
    };
    if (auto erofs = ErofsReader::open(fd, root_offset, root_size)) {
        info.file_system = "erofs";
        info.compression = "none";
        info.block_size = 4096;
        info.root_bytes = erofs->bytes_used();
        auto listed = erofs->list();
        if (!listed)
            return fail(ErrorKind::invalid_input, "{}: {}", image.string(), listed.error().message);
        for (const auto& e : *listed)
            if (e.path != "/" && e.type != 'o')
                info.entries.push_back({e.path, e.type, e.type == 'f' ? e.size : 0, e.mode, e.link_target});
        auto manifest_text = erofs->read("/etc/uk/manifest.json");
        if (!manifest_text)
            return damaged("no /etc/uk/manifest.json");
        if (auto record = erofs->read("/etc/uk/image.json")) {
            auto parsed = nlohmann::json::parse(*record, nullptr, false);
            if (parsed.is_object())
                info.from_image = parsed;
        }
        auto manifest = json::JsonDocument::parse(*manifest_text, "manifest");
        if (!manifest)
            return damaged("manifest is not JSON");
        info.manifest = manifest->to_nlohmann();
        return info;
    }
    info.file_system = "squashfs";
    auto region = make_region(fd, root_offset, root_size, false);
    sqfs_file_t* file = &region.base;

    sqfs_super_t super{};
    if (sqfs_super_read(&super, file) != 0)
        return damaged("superblock");
    info.block_size = super.block_size;
    info.root_bytes = super.bytes_used;
    sqfs_compressor_config_t config{};
    sqfs_compressor_config_init(&config, static_cast<SQFS_COMPRESSOR>(super.compression_id), super.block_size,
                                SQFS_COMP_FLAG_UNCOMPRESS);
    sqfs_compressor_t* raw_compressor = nullptr;
    if (sqfs_compressor_create(&config, &raw_compressor) != 0)
        return damaged("compressor");
    Owned<sqfs_compressor_t> compressor(raw_compressor);
    Owned<sqfs_id_table_t> ids(sqfs_id_table_create(0));
    if (!ids || sqfs_id_table_read(ids.get(), file, &super, compressor.get()) != 0)
        return damaged("id table");
    Owned<sqfs_dir_reader_t> directories(sqfs_dir_reader_create(&super, compressor.get(), file, 0));
    sqfs_tree_node_t* raw_tree = nullptr;
    if (!directories || sqfs_dir_reader_get_full_hierarchy(directories.get(), ids.get(), nullptr, 0, &raw_tree) != 0)
        return damaged("directories");
    std::unique_ptr<sqfs_tree_node_t, decltype(&sqfs_dir_tree_destroy)> tree(raw_tree, sqfs_dir_tree_destroy);
    walk(tree->children, "", info.entries);
    info.compression = data_uncompressed(tree->children) ? "none" : compression_name(super);

    auto* manifest_node = find_node(tree.get(), {"etc", "uk", "manifest.json"});
    if (!manifest_node)
        return damaged("no /etc/uk/manifest.json");
    Owned<sqfs_data_reader_t> data(sqfs_data_reader_create(file, super.block_size, compressor.get(), 0));
    if (!data || sqfs_data_reader_load_fragment_table(data.get(), &super) != 0)
        return damaged("fragment table");
    auto read_node = [&](const sqfs_tree_node_t* node) -> std::optional<std::string> {
        sqfs_u64 size = 0;
        sqfs_inode_get_file_size(node->inode, &size);
        std::string bytes(size, '\0');
        if (sqfs_data_reader_read(data.get(), node->inode, 0, bytes.data(), static_cast<sqfs_u32>(size)) !=
            static_cast<sqfs_s32>(size))
            return std::nullopt;
        return bytes;
    };
    auto read = read_node(manifest_node);
    if (!read)
        return damaged("manifest");
    const auto& text = *read;
    // Where an image built from an OCI image came from (app/from_image.hpp).
    if (const auto* record = find_node(tree.get(), {"etc", "uk", "image.json"}))
        if (auto bytes = read_node(record)) {
            auto parsed = nlohmann::json::parse(*bytes, nullptr, false);
            if (parsed.is_object())
                info.from_image = parsed;
        }
    // uk-init's reader: the manifest carries arguments and names as bytes (json.h).
    auto manifest = json::JsonDocument::parse(text, "manifest");
    if (!manifest)
        return damaged("manifest is not JSON");
    info.manifest = manifest->to_nlohmann();
    return info;
}

Result<BootableRoot> bootable_root(const std::filesystem::path& image)
{
    auto table = read_gpt(image);
    if (!table)
        return fail(table.error());
    struct stat st{};
    if (::stat(image.c_str(), &st) != 0)
        return fail(ErrorKind::io, "cannot read {}: {}", image.string(), std::strerror(errno));
    auto file_bytes = static_cast<std::uint64_t>(st.st_size);
    const Partition* root = nullptr;
    for (const auto& p : table->partitions) {
        auto end = (p.last_lba + 1) * 512;
        if (end > file_bytes)
            return fail(ErrorKind::invalid_input,
                        "{} is damaged: its {} partition ends at byte {} but the file has only {} (a copy cut short?): "
                        "copy it again or rebuild it with uk build",
                        image.string(), p.name.empty() ? "unnamed" : p.name, end, file_bytes);
        if (p.name == root_partition_name)
            root = &p;
    }
    if (!root)
        return fail(ErrorKind::invalid_input, "{} is not a uk image (it has no {} partition)", image.string(),
                    root_partition_name);
    UniqueFd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return fail(ErrorKind::io, "cannot read {}: {}", image.string(), std::strerror(errno));
    auto partition_bytes = (root->last_lba - root->first_lba + 1) * 512;
    auto arch = arch_of_root_type(root->type);
    if (!arch)
        return fail(ErrorKind::invalid_input,
                    "{}'s root partition has type {}, which is neither x86-64's nor arm64's root: rebuild it with uk build",
                    image.string(), format_guid(root->type));
    BootableRoot found{.partuuid = format_guid(root->unique), .arch = *arch, .image_bytes = file_bytes};
    if (auto erofs = ErofsReader::open(fd.get(), root->first_lba * 512, partition_bytes)) {
        // Given whole to the guest as persistent memory, which QEMU maps in 2 MiB units.
        if (file_bytes % (2u << 20) != 0)
            return fail(ErrorKind::invalid_input,
                        "{} is damaged: an image with an EROFS root is a whole number of 2 MiB, this one has {} bytes "
                        "(a copy cut short?): rebuild it with uk build",
                        image.string(), file_bytes);
        found.file_system = settings::RootFs::erofs;
        return found;
    }
    auto region = make_region(fd.get(), root->first_lba * 512, partition_bytes, false);
    sqfs_super_t super{};
    if (sqfs_super_read(&super, &region.base) != 0 || super.bytes_used > partition_bytes)
        return fail(ErrorKind::invalid_input,
                    "{} is damaged: its root file system is not whole (superblock): rebuild it with uk build",
                    image.string());
    return found;
}

nlohmann::json to_json(const ImageInfo& info)
{
    // The manifest holds argv; the arguments are what follows the program's own name.
    auto args = nlohmann::json::array();
    if (auto argv = info.manifest.find("argv"); argv != info.manifest.end() && argv->is_array())
        for (std::size_t i = 1; i < argv->size(); i++)
            args.push_back((*argv)[i]);
    auto files = nlohmann::json::array();
    for (const auto& e : info.entries) {
        nlohmann::json entry{{"path", e.path}, {"type", e.type == 'd' ? "folder" : e.type == 'l' ? "symlink" : "file"},
                             {"mode", fmt::format("{:04o}", e.mode)}};
        if (e.type == 'f')
            entry["size_bytes"] = e.size;
        if (e.type == 'l')
            entry["target"] = e.link_target;
        files.push_back(entry);
    }
    return {{"image", info.file.string()},
            {"format", "raw"},
            {"size_bytes", info.size_bytes},
            {"allocated_bytes", info.allocated_bytes},
            {"firmware_bootable", info.firmware_bootable},
            {"kernel_version", info.kernel_version},
            {"arch", to_string(info.arch)},
            {"root_partuuid", info.root_partuuid},
            {"root_bytes", info.root_bytes},
            {"file_system", info.file_system},
            {"compression", info.compression},
            {"block_size", info.block_size},
            {"program", info.manifest.value("program", "")},
            {"args", args},
            {"env", info.manifest.value("env", nlohmann::json::object())},
            {"manifest", info.manifest},
            {"from_image", info.from_image},
            {"files", files}};
}

} // namespace uk::image
