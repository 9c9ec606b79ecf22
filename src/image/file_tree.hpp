// The root file system of an image, described before anything is written: folders,
// files (from the host or from memory) and symlinks at absolute guest paths. Entries are
// kept sorted by path, so whatever writes the tree writes it in the same order every time.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <variant>

namespace uk::image {

struct HostFile {
    std::filesystem::path path;
};

struct TreeEntry {
    enum class Type { directory, file, symlink };
    Type type = Type::directory;
    std::uint16_t mode = 0755; // permission bits (and setuid, setgid, sticky)
    std::uint32_t uid = 0;     // owners: root, but for what an OCI image's layers say
    std::uint32_t gid = 0;
    // Files: where the bytes come from. Symlinks: the target.
    std::variant<std::monostate, HostFile, std::string> content;
    std::string link_target;
    // Why it is in the image ("program", "needed by /node", "Files") and where its bytes
    // come from (a host path, or "uk"): for `uk build --list` and for errors.
    std::string origin;
    std::string source;
};

// The S_IFMT bits of an entry's type, as file systems store them beside the permissions.
std::uint16_t type_bits(TreeEntry::Type type);

class FileTree {
public:
    FileTree(); // holds "/"

    // Missing parent folders are created with mode 0755. Adding the same path twice
    // with a different type, or a path below a file or symlink, is an error.
    Status add_directory(const std::string& guest_path, std::uint16_t mode = 0755, std::string origin = {});
    Status add_host_file(const std::string& guest_path, const std::filesystem::path& host_path, std::uint16_t mode,
                         std::string origin = {});
    // Bytes from memory: what uk writes itself, or a host file changed on the way (source).
    Status add_bytes(const std::string& guest_path, std::string bytes, std::uint16_t mode = 0644,
                     std::string origin = "uk", std::string source = "uk");
    Status add_symlink(const std::string& guest_path, std::string target, std::string origin = "uk");

    // An OCI layer's entry: whatever was at the path goes (a folder stays a folder and
    // keeps what is inside it, taking the new mode and owners). The parent must be a folder.
    Status put(const std::string& guest_path, TreeEntry entry);
    // The path and everything below it; nothing when it is not there.
    void remove(const std::string& guest_path);
    const TreeEntry* find(const std::string& guest_path) const;

    // The path with every symlink in it followed inside the tree, as the guest's kernel
    // would: absolute targets start at the image's root, ".." stops at it, so the answer
    // never leaves the tree. The last component is followed too when `follow_last`.
    // An error for a loop (more than 40 links).
    Result<std::string> resolve(const std::string& guest_path, bool follow_last) const;

    bool contains(const std::string& guest_path) const { return entries_.contains(guest_path); }
    const std::map<std::string, TreeEntry>& entries() const { return entries_; }

private:
    Result<std::string> normalise(const std::string& guest_path) const;
    Status add(const std::string& guest_path, TreeEntry entry);

    std::map<std::string, TreeEntry> entries_;
};

// The parent of a normalised guest path ("/a/b" -> "/a", "/a" -> "/").
std::string parent_of(const std::string& guest_path);
// The last component ("/a/b" -> "b").
std::string name_of(const std::string& guest_path);

} // namespace uk::image
