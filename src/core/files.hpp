// Host file helpers that report failures as Errors naming the path.
#pragma once

#include "core/error.hpp"
#include "core/unique_fd.hpp"

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace uk {

// The whole file. Never blocks on opening: a FIFO without a writer reads as empty, a
// device (endless, like /dev/zero) or a folder is an error.
Result<std::string> read_file(const std::filesystem::path& path);

// Opens a regular file for reading, refusing anything else (a device, FIFO, socket or
// folder) before reading a byte of it: what uk packs into images must be a file, and
// opening a FIFO or reading a device would block or never end.
Result<UniqueFd> open_regular_file(const std::filesystem::path& path);

// What tells one file apart on this host, cheaply: path, size, inode and modification
// time (for caches keyed on a binary); empty when it cannot be read.
std::string file_identity(const std::filesystem::path& path);
// At most the first `limit` bytes.
Result<std::string> read_file_prefix(const std::filesystem::path& path, std::size_t limit);

// pwrite/pread until done, retrying on EINTR; `what` names the file in the error.
Status write_fully_at(int fd, std::span<const std::byte> bytes, std::uint64_t offset, std::string_view what);
Status read_fully_at(int fd, std::span<std::byte> bytes, std::uint64_t offset, std::string_view what);

// Who may read a file uk writes: only its owner (uk's own images, records and logs may
// hold what -e put in them), or whoever the user's umask allows (files given with -o).
enum class Readers { owner, umask };

// Creates `folder` and its missing parents with mode 0700, as the XDG base directory
// specification asks for user data.
Status create_private_directories(const std::filesystem::path& folder);

// A file written beside its final path under a temporary name (temporary_files.hpp) and
// renamed into place by commit(), so readers never see half of it. Destroying it
// uncommitted removes the temporary file: a failed or interrupted write leaves nothing
// behind, and a killed one leaves a file the next uk removes.
class AtomicFile {
public:
    static Result<AtomicFile> create(const std::filesystem::path& target, Readers readers = Readers::owner);

    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    int fd() const { return fd_; }
    const std::filesystem::path& temporary_path() const { return temporary_; }
    const std::filesystem::path& target() const { return target_; }

    Status write_at(std::span<const std::byte> bytes, std::uint64_t offset);
    // Sets the size (sparse where never written).
    Status resize(std::uint64_t size);
    // Flushes to disk and renames over the target.
    Status commit();

private:
    AtomicFile(int fd, std::filesystem::path temporary, std::filesystem::path target);
    void discard() noexcept;

    int fd_ = -1;
    std::filesystem::path temporary_;
    std::filesystem::path target_;
};

Status write_file_atomically(const std::filesystem::path& target, std::span<const std::byte> bytes,
                             Readers readers = Readers::owner);

inline std::span<const std::byte> as_bytes(std::string_view text)
{
    return std::as_bytes(std::span(text.data(), text.size()));
}

} // namespace uk
