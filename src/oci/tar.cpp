#include "oci/tar.hpp"

#include "core/files.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace uk::oci {
namespace {

struct ReadCloser {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteCloser {
    void operator()(archive* a) const { archive_write_free(a); }
};

// A path inside the archive, made relative and checked not to climb out.
std::optional<std::filesystem::path> inside(const std::string& name)
{
    auto path = std::filesystem::path(name).lexically_normal().relative_path();
    if (path.empty() || *path.begin() == "..")
        return std::nullopt;
    return path;
}

} // namespace

Status copy_entry_data(archive* in, int fd, const std::string& what)
{
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
        int r = archive_read_data_block(in, &block, &size, &offset);
        if (r == ARCHIVE_EOF)
            return {};
        if (r != ARCHIVE_OK)
            return fail(ErrorKind::invalid_input, "{} is damaged: {}", what, archive_error_string(in));
        if (auto written = write_fully_at(fd, std::span(static_cast<const std::byte*>(block), size),
                                          static_cast<std::uint64_t>(offset), what);
            !written)
            return written;
    }
}

Status for_each_tar_entry(const std::filesystem::path& archive_file, const std::string& what,
                          const std::function<bool()>& cancelled, const TarVisitor& visit)
{
    std::unique_ptr<archive, ReadCloser> in(archive_read_new());
    archive_read_support_filter_all(in.get());
    archive_read_support_format_tar(in.get());
    archive_read_support_format_gnutar(in.get());
    if (archive_read_open_filename(in.get(), archive_file.c_str(), 1 << 16) != ARCHIVE_OK)
        return fail(ErrorKind::invalid_input, "{} is not a tar archive: {}", what, archive_error_string(in.get()));
    archive_entry* entry = nullptr;
    for (;;) {
        if (cancelled())
            return fail(ErrorKind::interrupted, "stopped while unpacking {}", what);
        int r = archive_read_next_header(in.get(), &entry);
        if (r == ARCHIVE_EOF)
            return {};
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return fail(ErrorKind::invalid_input, "{} is not a tar archive: {}", what, archive_error_string(in.get()));
        auto more = visit(in.get(), entry);
        if (!more)
            return fail(more.error());
        if (!*more)
            return {};
    }
}

Status extract_tar(const std::filesystem::path& archive_file, const std::filesystem::path& into, const std::string& what,
                   const std::function<bool()>& cancelled)
{
    return for_each_tar_entry(archive_file, what, cancelled, [&](archive* in, archive_entry* entry) -> Result<bool> {
        std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
        auto relative = inside(name);
        if (!relative) {
            if (std::filesystem::path(name).lexically_normal().relative_path().empty())
                return true; // "./" itself
            return fail(ErrorKind::invalid_input, "{} holds {}, outside the archive's own folder", what, name);
        }
        auto target = into / *relative;
        std::error_code ec;
        std::filesystem::create_directories(target.parent_path(), ec);
        switch (archive_entry_filetype(entry)) {
        case AE_IFDIR:
            std::filesystem::create_directories(target, ec);
            break;
        case AE_IFREG: {
            if (const char* hard = archive_entry_hardlink(entry)) {
                auto source = inside(hard);
                if (!source)
                    return fail(ErrorKind::invalid_input, "{} links {} to {}, outside the archive", what, name, hard);
                std::filesystem::copy_file(into / *source, target, std::filesystem::copy_options::overwrite_existing, ec);
                break;
            }
            UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
            if (!fd)
                return fail(ErrorKind::io, "cannot write {}: {}", target.string(), std::strerror(errno));
            if (auto copied = copy_entry_data(in, fd.get(), what); !copied)
                return fail(copied.error());
            break;
        }
        case AE_IFLNK: {
            std::string link = archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "";
            auto resolved = (target.parent_path() / link).lexically_normal();
            if (link.starts_with("/") || !resolved.string().starts_with(into.lexically_normal().string()))
                return fail(ErrorKind::invalid_input, "{} holds a symlink {} -> {}, out of the archive", what, name, link);
            std::filesystem::create_symlink(link, target, ec);
            break;
        }
        default:
            return fail(ErrorKind::invalid_input, "{} holds {}, which is neither a file, a folder nor a symlink", what,
                        name);
        }
        if (ec)
            return fail(ErrorKind::io, "cannot unpack {} from {}: {}", name, what, ec.message());
        return true;
    });
}

Result<std::optional<std::string>> extract_single_file(const std::filesystem::path& layer, const std::string& folder,
                                                       const std::filesystem::path& into, const std::string& what,
                                                       const std::function<bool()>& cancelled)
{
    struct RemoveUnlessKept {
        const std::filesystem::path& path;
        bool keep = false;
        ~RemoveUnlessKept()
        {
            std::error_code ignored;
            if (!keep)
                std::filesystem::remove(path, ignored);
        }
    } output{into};
    std::optional<std::string> found;
    bool single = true;
    auto walked = for_each_tar_entry(layer, what, cancelled, [&](archive* in, archive_entry* entry) -> Result<bool> {
        auto path = inside(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "");
        if (path && !path->has_filename()) // "disk/"
            path = path->parent_path();
        auto parts = path ? std::distance(path->begin(), path->end()) : 0;
        if (parts == 1 && *path->begin() == folder && archive_entry_filetype(entry) == AE_IFDIR)
            return true;
        if (parts != 2 || *path->begin() != folder || archive_entry_filetype(entry) != AE_IFREG ||
            archive_entry_hardlink(entry) || found)
            return single = false;
        found = path->filename().string();
        UniqueFd fd(::open(into.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!fd)
            return fail(ErrorKind::io, "cannot write {}: {}", into.string(), std::strerror(errno));
        if (auto copied = copy_entry_data(in, fd.get(), what); !copied)
            return fail(copied.error());
        if (::ftruncate(fd.get(), static_cast<off_t>(archive_entry_size(entry))) != 0)
            return fail(ErrorKind::io, "cannot write {}: {}", into.string(), std::strerror(errno));
        return true;
    });
    if (!walked)
        return fail(walked.error());
    if (!single)
        found.reset();
    output.keep = found.has_value();
    return found;
}

Result<WrittenLayer> write_single_file_layer(const std::filesystem::path& file, const std::string& folder,
                                             const std::string& name, unsigned uid, unsigned gid,
                                             const std::filesystem::path& layer, const std::function<bool()>& cancelled)
{
    // First the tar itself (its digest is the diff_id), then the same bytes gzip-compressed.
    auto tar_file = layer.string() + ".tar";
    struct RemoveTar {
        const std::string& path;
        ~RemoveTar()
        {
            std::error_code ignored;
            std::filesystem::remove(path, ignored);
        }
    } remove_tar{tar_file};
    {
        std::unique_ptr<archive, WriteCloser> out(archive_write_new());
        archive_write_set_format_pax_restricted(out.get());
        if (archive_write_open_filename(out.get(), tar_file.c_str()) != ARCHIVE_OK)
            return fail(ErrorKind::io, "cannot write {}: {}", tar_file, archive_error_string(out.get()));
        std::error_code ec;
        auto size = std::filesystem::file_size(file, ec);
        if (ec)
            return fail(ErrorKind::io, "cannot read {}: {}", file.string(), ec.message());
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
        auto add = [&](const std::string& path, mode_t type, mode_t mode, la_int64_t bytes) -> Status {
            archive_entry_clear(entry.get());
            archive_entry_set_pathname(entry.get(), path.c_str());
            archive_entry_set_filetype(entry.get(), type);
            archive_entry_set_perm(entry.get(), mode);
            archive_entry_set_uid(entry.get(), uid);
            archive_entry_set_gid(entry.get(), gid);
            archive_entry_set_size(entry.get(), bytes);
            archive_entry_set_mtime(entry.get(), 0, 0);
            if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK)
                return fail(ErrorKind::io, "cannot write {}: {}", tar_file, archive_error_string(out.get()));
            return {};
        };
        if (auto added = add(folder + "/", AE_IFDIR, 0555, 0); !added)
            return fail(added.error());
        if (auto added = add(folder + "/" + name, AE_IFREG, 0444, static_cast<la_int64_t>(size)); !added)
            return fail(added.error());
        std::ifstream in(file, std::ios::binary);
        std::vector<char> buffer(1 << 20);
        while (in) {
            if (cancelled())
                return fail(ErrorKind::interrupted, "stopped while packing {}", file.string());
            in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            auto n = in.gcount();
            if (n > 0 && archive_write_data(out.get(), buffer.data(), static_cast<size_t>(n)) != n)
                return fail(ErrorKind::io, "cannot write {}: {}", tar_file, archive_error_string(out.get()));
        }
        if (archive_write_close(out.get()) != ARCHIVE_OK)
            return fail(ErrorKind::io, "cannot write {}: {}", tar_file, archive_error_string(out.get()));
    }
    auto diff_id = digest_of_file(tar_file);
    if (!diff_id)
        return fail(diff_id.error());
    {
        std::unique_ptr<archive, WriteCloser> out(archive_write_new());
        archive_write_set_format_raw(out.get());
        archive_write_add_filter_gzip(out.get());
        // No name or time in the gzip header: the same disk gives the same layer digest.
        archive_write_set_filter_option(out.get(), "gzip", "timestamp", nullptr);
        if (archive_write_open_filename(out.get(), layer.c_str()) != ARCHIVE_OK)
            return fail(ErrorKind::io, "cannot write {}: {}", layer.string(), archive_error_string(out.get()));
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_pathname(entry.get(), "layer.tar");
        if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK)
            return fail(ErrorKind::io, "cannot write {}: {}", layer.string(), archive_error_string(out.get()));
        std::ifstream in(tar_file, std::ios::binary);
        std::vector<char> buffer(1 << 20);
        while (in) {
            in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            auto n = in.gcount();
            if (n > 0 && archive_write_data(out.get(), buffer.data(), static_cast<size_t>(n)) != n)
                return fail(ErrorKind::io, "cannot write {}: {}", layer.string(), archive_error_string(out.get()));
        }
        if (archive_write_close(out.get()) != ARCHIVE_OK)
            return fail(ErrorKind::io, "cannot write {}: {}", layer.string(), archive_error_string(out.get()));
    }
    std::error_code ec;
    auto digest = digest_of_file(layer);
    if (!digest)
        return fail(digest.error());
    return WrittenLayer{*digest, *diff_id, std::filesystem::file_size(layer, ec)};
}

} // namespace uk::oci
