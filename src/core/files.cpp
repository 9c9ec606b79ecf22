#include "core/files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace uk {
namespace {

std::string describe_errno(int error) { return std::strerror(error); }

ErrorKind kind_of_errno(int error) { return error == ENOENT ? ErrorKind::not_found : ErrorKind::io; }

} // namespace

Result<std::string> read_file(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int error = errno;
        return fail(kind_of_errno(error), "cannot read {}: {}", path.string(), describe_errno(error));
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    if (in.bad())
        return fail(ErrorKind::io, "cannot read {}: read error", path.string());
    return std::move(contents).str();
}

std::string file_identity(const std::filesystem::path& path)
{
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        return {};
    return fmt::format("{}:{}:{}:{}:{}.{}", path.string(), st.st_size, st.st_dev, st.st_ino, st.st_mtim.tv_sec,
                       st.st_mtim.tv_nsec);
}

Result<std::string> read_file_prefix(const std::filesystem::path& path, std::size_t limit)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int error = errno;
        return fail(kind_of_errno(error), "cannot read {}: {}", path.string(), describe_errno(error));
    }
    std::string bytes(limit, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(limit));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    return bytes;
}

Status write_fully_at(int fd, std::span<const std::byte> bytes, std::uint64_t offset, std::string_view what)
{
    const auto* data = reinterpret_cast<const char*>(bytes.data());
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::pwrite(fd, data + done, bytes.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(ErrorKind::io, "cannot write {}: {}", what, describe_errno(n < 0 ? errno : ENOSPC));
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Status read_fully_at(int fd, std::span<std::byte> bytes, std::uint64_t offset, std::string_view what)
{
    auto* data = reinterpret_cast<char*>(bytes.data());
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::pread(fd, data + done, bytes.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(ErrorKind::io, "cannot read {}: {}", what, describe_errno(errno));
        if (n == 0)
            return fail(ErrorKind::io, "cannot read {}: it ends early", what);
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& target)
{
    auto directory = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    std::string pattern = (directory / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
    int fd = mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        int error = errno;
        return fail(kind_of_errno(error), "cannot create a file in {}: {}", directory.string(), describe_errno(error));
    }
    // mkostemp creates 0600; an image or kernel should get the usual umask-based mode.
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    return AtomicFile(fd, pattern, target);
}

AtomicFile::AtomicFile(int fd, std::filesystem::path temporary, std::filesystem::path target)
    : fd_(fd), temporary_(std::move(temporary)), target_(std::move(target))
{
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), temporary_(std::move(other.temporary_)), target_(std::move(other.target_))
{
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept
{
    if (fd_ < 0)
        return;
    ::close(fd_);
    fd_ = -1;
    ::unlink(temporary_.c_str());
}

Status AtomicFile::write_at(std::span<const std::byte> bytes, std::uint64_t offset)
{
    return write_fully_at(fd_, bytes, offset, target_.string());
}

Status AtomicFile::resize(std::uint64_t size)
{
    if (::ftruncate(fd_, static_cast<off_t>(size)) < 0) {
        int error = errno;
        return fail(ErrorKind::io, "cannot write {}: {}", target_.string(), describe_errno(error));
    }
    return {};
}

Status AtomicFile::commit()
{
    if (::fsync(fd_) < 0 || ::close(fd_) < 0) {
        int error = errno;
        discard();
        return fail(ErrorKind::io, "cannot write {}: {}", target_.string(), describe_errno(error));
    }
    fd_ = -1;
    if (::rename(temporary_.c_str(), target_.c_str()) < 0) {
        int error = errno;
        ::unlink(temporary_.c_str());
        return fail(ErrorKind::io, "cannot move the new file to {}: {}", target_.string(), describe_errno(error));
    }
    return {};
}

Status write_file_atomically(const std::filesystem::path& target, std::span<const std::byte> bytes)
{
    auto file = AtomicFile::create(target);
    if (!file)
        return fail(file.error());
    if (auto written = file->write_at(bytes, 0); !written)
        return written;
    return file->commit();
}

} // namespace uk
