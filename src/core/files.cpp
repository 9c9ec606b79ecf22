#include "core/files.hpp"

#include "core/temporary_files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace uk {
namespace {

std::string describe_errno(int error) { return std::strerror(error); }

ErrorKind kind_of_errno(int error) { return error == ENOENT ? ErrorKind::not_found : ErrorKind::io; }

} // namespace

namespace {

const char* kind_of(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISFIFO(mode))
        return "a pipe (FIFO)";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
Result<UniqueFd> open_without_waiting(const std::filesystem::path& path, struct stat& st)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) {
        int error = errno;
        return fail(kind_of_errno(error), "cannot read {}: {}", path.string(), describe_errno(error));
    }
    if (::fstat(fd.get(), &st) != 0)
        return fail(ErrorKind::io, "cannot read {}: {}", path.string(), describe_errno(errno));
    return fd;
}

} // namespace

Result<UniqueFd> open_regular_file(const std::filesystem::path& path)
{
    struct stat st{};
    auto fd = open_without_waiting(path, st);
    if (!fd)
        return fd;
    if (!S_ISREG(st.st_mode))
        return fail(ErrorKind::invalid_input, "{} is {}: uk reads regular files only", path.string(), kind_of(st.st_mode));
    return fd;
}

Result<std::string> read_file(const std::filesystem::path& path)
{
    struct stat st{};
    auto fd = open_without_waiting(path, st);
    if (!fd)
        return fail(fd.error());
    if (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return fail(ErrorKind::invalid_input, "{} is {}, not a file uk can read", path.string(), kind_of(st.st_mode));
    // A pipe (-c <(...)) is read to its end; with no writer that end comes at once.
    ::fcntl(fd->get(), F_SETFL, 0);
    std::string contents;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd->get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(ErrorKind::io, "cannot read {}: {}", path.string(), describe_errno(errno));
        if (n == 0)
            return contents;
        contents.append(buffer, static_cast<std::size_t>(n));
    }
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
    auto fd = open_regular_file(path);
    if (!fd)
        return fail(fd.error());
    std::string bytes(limit, '\0');
    ssize_t got = ::pread(fd->get(), bytes.data(), limit, 0);
    bytes.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
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

Status create_private_directories(const std::filesystem::path& folder)
{
    std::error_code ec;
    if (folder.empty() || std::filesystem::is_directory(folder, ec))
        return {};
    if (auto parent = folder.parent_path(); parent != folder)
        if (auto made = create_private_directories(parent); !made)
            return made;
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
        return fail(ErrorKind::io, "cannot create folder {}: {}", folder.string(), describe_errno(errno));
    return {};
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& target, Readers readers)
{
    auto directory = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    remove_stale_temporaries(directory);
    std::string pattern = temporary_pattern(target);
    int fd = mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        int error = errno;
        return fail(kind_of_errno(error), "cannot create a file in {}: {}", directory.string(), describe_errno(error));
    }
    // mkostemp creates 0600, which uk's own files keep.
    if (readers == Readers::umask) {
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
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

Status write_file_atomically(const std::filesystem::path& target, std::span<const std::byte> bytes, Readers readers)
{
    auto file = AtomicFile::create(target, readers);
    if (!file)
        return fail(file.error());
    if (auto written = file->write_at(bytes, 0); !written)
        return written;
    return file->commit();
}

} // namespace uk
