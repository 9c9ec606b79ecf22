#include "image/export.hpp"

#include "core/files.hpp"
#include "core/process.hpp"
#include "core/temporary_files.hpp"
#include "core/unique_fd.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace uk::image {
namespace {

struct TargetInfo {
    Target target;
    const char* name;
    const char* extension;
};
constexpr TargetInfo targets[] = {
    {Target::raw, "raw", ".img"},     {Target::qcow2, "qcow2", ".qcow2"}, {Target::vmdk, "vmdk", ".vmdk"},
    {Target::vhd, "vhd", ".vhd"},     {Target::gcp, "gcp", ".tar.gz"},    {Target::aws, "aws", ".vmdk"},
    {Target::openstack, "openstack", ".qcow2"},
};

const TargetInfo& info(Target target)
{
    for (const auto& t : targets)
        if (t.target == target)
            return t;
    return targets[0];
}

Status qemu_img_convert(const std::filesystem::path& raw, const std::vector<std::string>& format,
                        const std::filesystem::path& output, const std::function<bool()>& cancelled,
                        const std::string& input_format = "raw")
{
    auto qemu_img = find_in_path("qemu-img");
    if (!qemu_img)
        return fail(ErrorKind::unavailable, "qemu-img is not installed: converting images needs it (apt-get install "
                                            "qemu-utils)");
    std::vector<std::string> argv{qemu_img->string(), "convert", "-q", "-f", input_format};
    argv.insert(argv.end(), format.begin(), format.end());
    argv.insert(argv.end(), {raw.string(), output.string()});
    auto run = run_tool(argv, cancelled);
    if (!run)
        return fail(run.error());
    if (run->status != 0)
        return fail(ErrorKind::unavailable, "qemu-img convert failed ({}): {}", run->status, run->first_line());
    return {};
}

// Copies in blocks, asking `cancelled` between them.
Status copy_file(const std::filesystem::path& from, const std::filesystem::path& to,
                 const std::function<bool()>& cancelled)
{
    auto in = open_regular_file(from);
    if (!in)
        return fail(in.error());
    UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!out)
        return fail(ErrorKind::io, "cannot write {}: {}", to.string(), std::strerror(errno));
    std::vector<char> buffer(1 << 20);
    for (std::uint64_t offset = 0;;) {
        if (cancelled())
            return fail(ErrorKind::interrupted, "stopped while writing {}", to.string());
        ssize_t n = ::pread(in->get(), buffer.data(), buffer.size(), static_cast<off_t>(offset));
        if (n < 0)
            return fail(ErrorKind::io, "cannot read {}: {}", from.string(), std::strerror(errno));
        if (n == 0)
            return {};
        if (auto written = write_fully_at(out.get(), std::as_bytes(std::span(buffer.data(), static_cast<std::size_t>(n))),
                                          offset, to.string());
            !written)
            return written;
        offset += static_cast<std::uint64_t>(n);
    }
}

// GCP imports a gzipped tar holding one file, disk.raw, in GNU format.
Status write_gcp_tarball(const std::filesystem::path& raw, const std::filesystem::path& output,
                         const std::function<bool()>& cancelled)
{
    struct stat st{};
    if (::stat(raw.c_str(), &st) != 0)
        return fail(ErrorKind::io, "cannot read {}: {}", raw.string(), std::strerror(errno));
    std::unique_ptr<archive, decltype(&archive_write_free)> tar(archive_write_new(), archive_write_free);
    archive_write_set_format_gnutar(tar.get());
    archive_write_add_filter_gzip(tar.get());
    archive_write_set_filter_option(tar.get(), "gzip", "timestamp", nullptr); // no mtime in the gzip header
    if (archive_write_open_filename(tar.get(), output.c_str()) != ARCHIVE_OK)
        return fail(ErrorKind::io, "cannot write {}: {}", output.string(), archive_error_string(tar.get()));
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), "disk.raw");
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), st.st_size);
    archive_entry_set_mtime(entry.get(), 0, 0);
    if (archive_write_header(tar.get(), entry.get()) != ARCHIVE_OK)
        return fail(ErrorKind::io, "cannot write {}: {}", output.string(), archive_error_string(tar.get()));
    int fd = ::open(raw.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorKind::io, "cannot read {}: {}", raw.string(), std::strerror(errno));
    std::vector<char> buffer(1 << 20);
    ssize_t n;
    while ((n = ::read(fd, buffer.data(), buffer.size())) > 0) {
        if (cancelled()) {
            ::close(fd);
            return fail(ErrorKind::interrupted, "stopped while writing {}", output.string());
        }
        if (archive_write_data(tar.get(), buffer.data(), static_cast<std::size_t>(n)) != n) {
            ::close(fd);
            return fail(ErrorKind::io, "cannot write {}: {}", output.string(), archive_error_string(tar.get()));
        }
    }
    ::close(fd);
    if (n < 0)
        return fail(ErrorKind::io, "cannot read {}: {}", raw.string(), std::strerror(errno));
    if (archive_write_close(tar.get()) != ARCHIVE_OK)
        return fail(ErrorKind::io, "cannot write {}: {}", output.string(), archive_error_string(tar.get()));
    return {};
}

} // namespace

Result<Target> parse_target(const std::string& name)
{
    for (const auto& t : targets)
        if (name == t.name)
            return t.target;
    return fail(ErrorKind::usage, "unknown target \"{}\": use raw, qcow2, vmdk, vhd, gcp, aws or openstack", name);
}

std::string to_string(Target target) { return info(target).name; }

std::string file_extension(Target target) { return info(target).extension; }

Status export_image(const std::filesystem::path& raw, Target target, const std::filesystem::path& output,
                    const std::function<bool()>& cancelled)
{
    // Written beside the output under a temporary's name and renamed: an interrupted
    // export leaves no half file, and a killed one a file the next uk removes.
    auto partial = temporary_pattern(output);
    partial.replace(partial.size() - 6, 6, "export");
    std::error_code ec;
    Status made;
    switch (target) {
    case Target::raw:
        made = copy_file(raw, partial, cancelled);
        break;
    case Target::qcow2:
    case Target::openstack:
        made = qemu_img_convert(raw, {"-O", "qcow2"}, partial, cancelled);
        break;
    case Target::vmdk:
    case Target::aws:
        made = qemu_img_convert(raw, {"-O", "vmdk", "-o", "subformat=streamOptimized"}, partial, cancelled);
        break;
    case Target::vhd:
        // Azure: a fixed VHD whose size is a whole number of MiB (uk's images are).
        made = qemu_img_convert(raw, {"-O", "vpc", "-o", "subformat=fixed,force_size=on"}, partial, cancelled);
        break;
    case Target::gcp:
        made = write_gcp_tarball(raw, partial, cancelled);
        break;
    }
    if (!made) {
        std::filesystem::remove(partial, ec);
        return made;
    }
    // Like any file given with -o, it is the user's to share: the umask decides.
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::chmod(partial.c_str(), 0666 & ~mask);
    std::filesystem::rename(partial, output, ec);
    if (ec) {
        std::filesystem::remove(partial, ec);
        return fail(ErrorKind::io, "cannot write {}: {}", output.string(), ec.message());
    }
    return {};
}

Status import_disk(const std::filesystem::path& disk, const std::string& format, const std::filesystem::path& raw,
                   const std::function<bool()>& cancelled)
{
    static const std::vector<std::string> known{"raw", "qcow2", "vmdk", "vpc"};
    if (std::find(known.begin(), known.end(), format) == known.end())
        return fail(ErrorKind::invalid_input, "{} is a {} disk, which uk does not read", disk.string(), format);
    auto partial = temporary_pattern(raw);
    partial.replace(partial.size() - 6, 6, "import");
    std::error_code ec;
    auto made = format == "raw" ? copy_file(disk, partial, cancelled)
                                : qemu_img_convert(disk, {"-O", "raw"}, partial, cancelled, format);
    if (!made) {
        std::filesystem::remove(partial, ec);
        return made;
    }
    ::chmod(partial.c_str(), 0600);
    std::filesystem::rename(partial, raw, ec);
    if (ec) {
        std::filesystem::remove(partial, ec);
        return fail(ErrorKind::io, "cannot write {}: {}", raw.string(), ec.message());
    }
    return {};
}

} // namespace uk::image
