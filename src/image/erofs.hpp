// Writes a FileTree as an uncompressed EROFS file system, and reads one back. An EROFS
// root is what a guest can read in place (DAX): every file's data starts on a 4 KiB block
// and is stored as it is, so a guest given the image as persistent memory maps a program's
// code from the host's copy instead of reading it into its own page cache
// (docs/decisions.md: "An EROFS root read in place").
//
// No library writes EROFS (erofs-utils has only its command-line tools in Debian), so this
// file holds the subset uk needs: 4 KiB blocks, no compression, no extended attributes,
// every inode and directory in plain blocks (the kernel's EROFS_INODE_FLAT_PLAIN layout).
#pragma once

#include "core/error.hpp"
#include "image/file_tree.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace uk::image {

inline constexpr std::uint32_t erofs_magic = 0xE0F5E1E2;
inline constexpr std::uint64_t erofs_superblock_offset = 1024;

struct ErofsOptions {
    std::uint64_t build_time = 0; // every inode's time
    std::function<bool()> cancelled = [] { return false; }; // asked between files
};

// Returns the number of bytes written from offset (whole 4 KiB blocks).
Result<std::uint64_t> write_erofs(const FileTree& tree, const ErofsOptions& options, int fd, std::uint64_t offset);

// One file, folder or symlink of an EROFS file system read back.
struct ErofsEntry {
    std::string path; // absolute, "/" for the root
    char type = 'f';  // f file, d folder, l symlink, o anything else
    std::uint16_t mode = 0; // permission bits
    std::uint64_t size = 0;
    std::string link_target;
};

class ErofsReader {
public:
    // `size` bounds every read: a damaged file system is an error, never a read past it.
    static Result<ErofsReader> open(int fd, std::uint64_t offset, std::uint64_t size);

    std::uint64_t bytes_used() const { return std::uint64_t(blocks_) * 4096; }
    Result<std::vector<ErofsEntry>> list() const;
    // A regular file's bytes; an error when it is missing or not a file.
    Result<std::string> read(const std::string& path) const;

private:
    struct Inode {
        std::uint16_t mode = 0;
        std::uint64_t size = 0;
        std::uint32_t block = 0;
    };
    ErofsReader(int fd, std::uint64_t offset, std::uint64_t size) : fd_(fd), offset_(offset), size_(size) {}
    Result<Inode> inode(std::uint64_t nid) const;
    Result<std::string> data(const Inode& inode) const;
    struct Child {
        std::string name;
        std::uint64_t nid;
    };
    Result<std::vector<Child>> children(const Inode& directory) const;
    Status walk(const std::string& path, std::uint64_t nid, int depth, std::vector<ErofsEntry>& out) const;

    int fd_;
    std::uint64_t offset_;
    std::uint64_t size_;
    std::uint32_t blocks_ = 0;
    std::uint32_t meta_block_ = 0;
    std::uint64_t root_nid_ = 0;
};

} // namespace uk::image
