#include "oci/rootfs.hpp"

#include "core/files.hpp"
#include "core/log.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <optional>

namespace uk::oci {
namespace {

constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view opaque_marker = ".wh..wh..opq";

struct ReadCloser {
    void operator()(archive* a) const { archive_read_free(a); }
};

// "./usr/bin/x" -> "/usr/bin/x"; nothing when it climbs above the root.
std::optional<std::string> layer_path(const std::string& name)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= name.size()) {
        auto end = name.find('/', start);
        if (end == std::string::npos)
            end = name.size();
        auto part = name.substr(start, end - start);
        if (part == "..") {
            if (parts.empty())
                return std::nullopt;
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }
    std::string out;
    for (const auto& part : parts)
        out += "/" + part;
    return out.empty() ? std::string("/") : out;
}

} // namespace

Status RootFs::apply_layer(const std::filesystem::path& layer, const std::string& what,
                           const std::function<bool()>& cancelled)
{
    layer_++;
    if (auto made = create_private_directories(staging_); !made)
        return made;
    std::unique_ptr<archive, ReadCloser> in(archive_read_new());
    archive_read_support_filter_all(in.get());
    archive_read_support_format_tar(in.get());
    archive_read_support_format_gnutar(in.get());
    if (archive_read_open_filename(in.get(), layer.c_str(), 1 << 16) != ARCHIVE_OK)
        return fail(ErrorKind::invalid_input, "{} is not a tar archive: {}", what, archive_error_string(in.get()));
    archive_entry* entry = nullptr;
    for (;;) {
        if (cancelled())
            return fail(ErrorKind::interrupted, "stopped while unpacking {}", what);
        int r = archive_read_next_header(in.get(), &entry);
        if (r == ARCHIVE_EOF)
            return {};
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return fail(ErrorKind::invalid_input, "{} is damaged: {}", what, archive_error_string(in.get()));
        if (auto applied = apply_entry(in.get(), entry, what); !applied)
            return applied;
    }
}

Status RootFs::apply_entry(archive* in, archive_entry* entry, const std::string& what)
{
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    auto path = layer_path(name);
    if (!path)
        return fail(ErrorKind::invalid_input, "{} holds {}, which climbs out of the image's root", what, name);
    if (*path == "/") {
        if (archive_entry_filetype(entry) == AE_IFDIR)
            return tree_.put("/", image::TreeEntry{.type = image::TreeEntry::Type::directory,
                                                   .mode = static_cast<std::uint16_t>(archive_entry_perm(entry) & 07777),
                                                   .uid = static_cast<std::uint32_t>(archive_entry_uid(entry)),
                                                   .gid = static_cast<std::uint32_t>(archive_entry_gid(entry))});
        return {};
    }
    // The folder it goes in, with symlinks followed inside the tree.
    auto parent = tree_.resolve(image::parent_of(*path), true);
    if (!parent)
        return fail(ErrorKind::invalid_input, "{}: {}", what, parent.error().message);
    auto base = image::name_of(*path);
    auto target = *parent == "/" ? "/" + base : *parent + "/" + base;

    if (base == opaque_marker) {
        // Everything lower layers put in this folder goes; what this layer put there stays.
        auto below = (*parent == "/" ? std::string() : *parent) + "/";
        std::vector<std::string> lower;
        for (const auto& [p, entry_ignored] : tree_.entries())
            if (p.starts_with(below) && p != *parent && layer_of_[p] < layer_)
                lower.push_back(p);
        for (const auto& p : lower)
            tree_.remove(p);
        return {};
    }
    if (base.starts_with(whiteout_prefix)) {
        auto hidden = *parent == "/" ? "/" + base.substr(whiteout_prefix.size())
                                     : *parent + "/" + base.substr(whiteout_prefix.size());
        tree_.remove(hidden);
        return {};
    }

    // Missing folders on the way are made, as tar does.
    if (!tree_.find(*parent)) {
        auto made = tree_.add_directory(*parent, 0755, what);
        if (!made)
            return made;
    }
    const auto* at_parent = tree_.find(*parent);
    if (!at_parent || at_parent->type != image::TreeEntry::Type::directory)
        return fail(ErrorKind::invalid_input, "{} puts {} inside {}, which is not a folder", what, name, *parent);

    image::TreeEntry made{.mode = static_cast<std::uint16_t>(archive_entry_perm(entry) & 07777),
                          .uid = static_cast<std::uint32_t>(archive_entry_uid(entry)),
                          .gid = static_cast<std::uint32_t>(archive_entry_gid(entry)),
                          .origin = what,
                          .source = what};
    if (const char* hard = archive_entry_hardlink(entry)) {
        // A hard link: the same bytes and metadata as what it names, found inside the tree.
        auto linked = layer_path(hard);
        auto resolved = linked ? tree_.resolve(*linked, false) : Result<std::string>(std::string());
        const auto* original = resolved && !resolved->empty() ? tree_.find(*resolved) : nullptr;
        if (!original || original->type != image::TreeEntry::Type::file)
            return fail(ErrorKind::invalid_input, "{} links {} to {}, which is not a file in the image", what, name, hard);
        made = *original;
        made.origin = what;
    } else {
        switch (archive_entry_filetype(entry)) {
        case AE_IFDIR:
            made.type = image::TreeEntry::Type::directory;
            break;
        case AE_IFLNK:
            made.type = image::TreeEntry::Type::symlink;
            made.mode = 0777;
            made.link_target = archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "";
            if (made.link_target.empty())
                return fail(ErrorKind::invalid_input, "{} holds a symlink {} without a target", what, name);
            break;
        case AE_IFREG: {
            auto staged = staging_ / std::to_string(next_file_++);
            UniqueFd fd(::open(staged.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
            if (!fd)
                return fail(ErrorKind::io, "cannot write {}: {}", staged.string(), std::strerror(errno));
            const void* block = nullptr;
            size_t size = 0;
            la_int64_t offset = 0;
            for (;;) {
                int r = archive_read_data_block(in, &block, &size, &offset);
                if (r == ARCHIVE_EOF)
                    break;
                if (r != ARCHIVE_OK)
                    return fail(ErrorKind::invalid_input, "{} is damaged at {}: {}", what, name, archive_error_string(in));
                if (auto written = write_fully_at(fd.get(), std::span(static_cast<const std::byte*>(block), size),
                                                  static_cast<std::uint64_t>(offset), staged.string());
                    !written)
                    return written;
            }
            // Sparse files end in a hole the blocks above never reach.
            if (::ftruncate(fd.get(), static_cast<off_t>(archive_entry_size(entry))) != 0)
                return fail(ErrorKind::io, "cannot write {}: {}", staged.string(), std::strerror(errno));
            made.type = image::TreeEntry::Type::file;
            made.content = image::HostFile{staged};
            break;
        }
        default:
            // Device nodes, FIFOs and sockets: /dev is the kernel's devtmpfs in the guest.
            skipped_++;
            log::detail("{}: skipping {} (a device, FIFO or socket)", what, name);
            return {};
        }
    }
    if (auto put = tree_.put(target, std::move(made)); !put)
        return fail(ErrorKind::invalid_input, "{}: {}", what, put.error().message);
    layer_of_[target] = layer_;
    return {};
}

Result<std::string> read_tree_file(const image::FileTree& tree, const std::string& guest_path, std::size_t limit)
{
    auto resolved = tree.resolve(guest_path, true);
    if (!resolved)
        return fail(resolved.error());
    const auto* entry = tree.find(*resolved);
    if (!entry || entry->type != image::TreeEntry::Type::file)
        return fail(ErrorKind::not_found, "{} is not a file in the image", guest_path);
    if (const auto* bytes = std::get_if<std::string>(&entry->content))
        return bytes->substr(0, limit);
    const auto* host = std::get_if<image::HostFile>(&entry->content);
    if (!host)
        return std::string();
    return read_file_prefix(host->path, limit);
}

} // namespace uk::oci
