#include "core/file_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <thread>

namespace uk {

Result<std::optional<FileLock>> FileLock::try_acquire(const std::filesystem::path& lock_file)
{
    UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd)
        return fail(ErrorKind::io, "cannot open the lock {}: {}", lock_file.string(), std::strerror(errno));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
        // The previous holder may have removed the file between our open and our lock: a
        // lock on a file no longer at the path guards nothing, so look again.
        struct stat held{}, named{};
        if (::fstat(fd.get(), &held) != 0 || ::stat(lock_file.c_str(), &named) != 0 || held.st_ino != named.st_ino ||
            held.st_dev != named.st_dev)
            return std::optional<FileLock>();
        return std::optional<FileLock>(FileLock(std::move(fd), lock_file));
    }
    if (errno == EWOULDBLOCK)
        return std::optional<FileLock>();
    return fail(ErrorKind::io, "cannot lock {}: {}", lock_file.string(), std::strerror(errno));
}

Result<FileLock> FileLock::acquire(const std::filesystem::path& lock_file, const std::function<void()>& waiting,
                                   const std::function<bool()>& cancelled)
{
    for (bool said = false;; std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
        auto lock = try_acquire(lock_file);
        if (!lock)
            return fail(lock.error());
        if (*lock)
            return std::move(**lock);
        if (!said) {
            waiting();
            said = true;
        }
        if (cancelled())
            return fail(ErrorKind::interrupted, "stopped while waiting for {}", lock_file.string());
    }
}

FileLock::~FileLock()
{
    // Removed while still held, so nobody takes a lock on a file about to vanish.
    if (fd_)
        ::unlink(path_.c_str());
}

} // namespace uk
