#include "image/contents.hpp"

#include "elf/strip.hpp"

#include <cerrno>
#include <cstring>
#include <glob.h>
#include <sys/stat.h>

namespace uk::image {
namespace {

std::string describe_errno(const std::filesystem::path& path) { return path.string() + ": " + std::strerror(errno); }

bool has_glob(const std::string& pattern) { return pattern.find_first_of("*?[") != std::string::npos; }

// ops's rule: a relative path keeps its place under the root, an absolute one its own.
Result<std::string> guest_place(const std::string& entry, const char* field)
{
    auto path = std::filesystem::path(entry).lexically_normal();
    for (const auto& part : path)
        if (part == "..")
            return fail(ErrorKind::invalid_input,
                        "{}: {} climbs out of its folder with ..; give a path below it, or use MapDirs to choose "
                        "where it goes in the image",
                        field, entry);
    auto text = path.string();
    while (text.size() > 1 && text.back() == '/')
        text.pop_back();
    return text.starts_with("/") ? text : "/" + text;
}

std::filesystem::path host_place(const std::filesystem::path& base, const std::string& entry)
{
    return (std::filesystem::path(entry).is_absolute() ? std::filesystem::path(entry) : base / entry).lexically_normal();
}

std::uint16_t permission_bits(mode_t mode) { return static_cast<std::uint16_t>(mode & 07777); }

// Opening a FIFO blocks and a device may never end: refused before anything reads them.
Status packable(const std::filesystem::path& path, mode_t mode)
{
    if (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode))
        return {};
    return fail(ErrorKind::invalid_input, "{} is a device, pipe or socket: uk packs files, folders and symlinks only",
                path.string());
}

} // namespace

Status pack_file(FileTree& tree, const std::filesystem::path& host, const std::string& guest_path, std::uint16_t mode,
                 const std::string& why, const PackOptions& options)
{
    if (options.strip) {
        auto stripped = elf::strip_copy(host);
        if (!stripped)
            return fail(stripped.error());
        if (*stripped)
            return tree.add_bytes(guest_path, std::move(**stripped), mode, why, host.string());
    }
    return tree.add_host_file(guest_path, host, mode, why);
}

Status pack_folder(FileTree& tree, const std::filesystem::path& host, const std::string& guest_path,
                   const std::string& why, const PackOptions& options)
{
    struct stat top{};
    if (::stat(host.c_str(), &top) != 0)
        return fail(ErrorKind::io, "cannot read {}", describe_errno(host));
    if (auto added = tree.add_directory(guest_path, permission_bits(top.st_mode), why); !added)
        return added;
    std::error_code ec;
    // Symlinks are never followed: a folder's links stay links, inside or out of it.
    std::filesystem::recursive_directory_iterator walk(host, std::filesystem::directory_options::none, ec);
    for (; !ec && walk != std::filesystem::recursive_directory_iterator(); walk.increment(ec)) {
        const auto& entry = walk->path();
        auto guest = guest_path + (guest_path == "/" ? "" : "/") + entry.lexically_relative(host).string();
        struct stat st{};
        if (::lstat(entry.c_str(), &st) != 0)
            return fail(ErrorKind::io, "cannot read {}", describe_errno(entry));
        Status added;
        if (S_ISDIR(st.st_mode))
            added = tree.add_directory(guest, permission_bits(st.st_mode), why);
        else if (S_ISREG(st.st_mode))
            added = pack_file(tree, entry, guest, permission_bits(st.st_mode), why, options);
        else if (S_ISLNK(st.st_mode))
            added = tree.add_symlink(guest, std::filesystem::read_symlink(entry, ec).string(), why);
        else
            added = packable(entry, st.st_mode);
        if (!added)
            return added;
    }
    if (ec)
        return fail(ErrorKind::io, "cannot read the folder {}: {}", host.string(), ec.message());
    return {};
}

Status pack_contents(FileTree& tree, const Contents& contents, const PackOptions& options)
{
    for (const auto& entry : contents.files) {
        auto guest = guest_place(entry, "Files");
        if (!guest)
            return fail(guest.error());
        auto host = host_place(contents.base_dir, entry);
        struct stat st{};
        if (::stat(host.c_str(), &st) != 0)
            return fail(ErrorKind::not_found, "Files: {} does not exist (looked at {})", entry, host.string());
        if (S_ISDIR(st.st_mode))
            return fail(ErrorKind::invalid_input, "Files: {} is a folder; list it in Dirs", entry);
        if (auto ok = packable(host, st.st_mode); !ok)
            return fail(ok.error().kind, "Files: {}", ok.error().message);
        if (auto added = pack_file(tree, host, *guest, permission_bits(st.st_mode), "Files", options); !added)
            return added;
    }
    for (const auto& entry : contents.dirs) {
        auto guest = guest_place(entry, "Dirs");
        if (!guest)
            return fail(guest.error());
        auto host = host_place(contents.base_dir, entry);
        std::error_code ec;
        if (!std::filesystem::exists(host, ec))
            return fail(ErrorKind::not_found, "Dirs: {} does not exist (looked at {})", entry, host.string());
        if (!std::filesystem::is_directory(host, ec))
            return fail(ErrorKind::invalid_input, "Dirs: {} is a file; list it in Files", entry);
        if (auto added = pack_folder(tree, host, *guest, "Dirs", options); !added)
            return added;
    }
    for (const auto& [pattern, guest_folder] : contents.map_dirs) {
        auto host_pattern = host_place(contents.base_dir, pattern);
        if (!has_glob(pattern)) {
            std::error_code ec;
            if (!std::filesystem::is_directory(host_pattern, ec))
                return fail(ErrorKind::not_found, "MapDirs: {} is not a folder (looked at {})", pattern,
                            host_pattern.string());
            if (auto added = pack_folder(tree, host_pattern, guest_folder, "MapDirs", options); !added)
                return added;
            continue;
        }
        glob_t matches{};
        int found = ::glob(host_pattern.c_str(), 0, nullptr, &matches);
        std::vector<std::string> paths(matches.gl_pathv, matches.gl_pathv + (found == 0 ? matches.gl_pathc : 0));
        globfree(&matches);
        if (paths.empty())
            return fail(ErrorKind::not_found, "MapDirs: {} matches nothing (looked for {})", pattern,
                        host_pattern.string());
        for (const auto& match : paths) {
            auto guest = guest_folder + (guest_folder == "/" ? "" : "/") + std::filesystem::path(match).filename().string();
            struct stat st{};
            if (::stat(match.c_str(), &st) != 0)
                return fail(ErrorKind::io, "cannot read {}", describe_errno(match));
            if (auto ok = packable(match, st.st_mode); !ok)
                return fail(ok.error().kind, "MapDirs: {}", ok.error().message);
            auto added = S_ISDIR(st.st_mode) ? pack_folder(tree, match, guest, "MapDirs", options)
                                             : pack_file(tree, match, guest, permission_bits(st.st_mode), "MapDirs", options);
            if (!added)
                return added;
        }
    }
    return {};
}

} // namespace uk::image
