// An exclusive lock on a lock file (flock), held while the object lives. The kernel
// drops it when the holder dies, so a killed uk never leaves a lock held; the holder
// removes the file when it lets go (a killed one leaves an empty file nobody holds).
#pragma once

#include "core/error.hpp"
#include "core/unique_fd.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

namespace uk {

class FileLock {
public:
    // Takes the lock now, or says nobody has it: nothing when another holds it.
    static Result<std::optional<FileLock>> try_acquire(const std::filesystem::path& lock_file);

    // Waits for the lock; `waiting` is called once if it has to, and `cancelled` is asked
    // while it does (a stop request ends the wait with ErrorKind::interrupted).
    static Result<FileLock> acquire(const std::filesystem::path& lock_file, const std::function<void()>& waiting,
                                    const std::function<bool()>& cancelled);

    FileLock(FileLock&&) noexcept = default;
    FileLock& operator=(FileLock&&) noexcept = default;
    ~FileLock();

private:
    FileLock(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
    UniqueFd fd_;
    std::filesystem::path path_;
};

} // namespace uk
