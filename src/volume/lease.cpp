#include "volume/lease.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>

namespace uk::volume {

Result<std::optional<Lease>> Lease::try_take(const std::filesystem::path& lock_file, Access access)
{
    // The lock file lives as long as its volume: removing it while held would let two
    // holders lock two different files.
    UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd)
        return fail(ErrorKind::io, "cannot open the lock {}: {}", lock_file.string(), std::strerror(errno));
    int operation = (access == Access::read_write ? LOCK_EX : LOCK_SH) | LOCK_NB;
    while (::flock(fd.get(), operation) != 0) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK)
            return std::optional<Lease>();
        return fail(ErrorKind::io, "cannot lock {}: {}", lock_file.string(), std::strerror(errno));
    }
    return std::optional<Lease>(Lease(std::move(fd)));
}

} // namespace uk::volume
