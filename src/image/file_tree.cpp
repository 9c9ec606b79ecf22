#include "image/file_tree.hpp"

#include <sys/stat.h>

#include <vector>

namespace uk::image {

std::uint16_t type_bits(TreeEntry::Type type)
{
    switch (type) {
    case TreeEntry::Type::directory: return S_IFDIR;
    case TreeEntry::Type::file: return S_IFREG;
    case TreeEntry::Type::symlink: return S_IFLNK;
    }
    return 0;
}

std::string parent_of(const std::string& guest_path)
{
    auto slash = guest_path.rfind('/');
    return slash == 0 ? std::string("/") : guest_path.substr(0, slash);
}

std::string name_of(const std::string& guest_path) { return guest_path.substr(guest_path.rfind('/') + 1); }

FileTree::FileTree() { entries_["/"] = TreeEntry{}; }

Result<std::string> FileTree::normalise(const std::string& guest_path) const
{
    if (guest_path.empty() || guest_path[0] != '/')
        return fail(ErrorKind::invalid_input, "guest path \"{}\" must be absolute (start with /)", guest_path);
    std::vector<std::string> parts;
    std::size_t start = 1;
    while (start <= guest_path.size()) {
        auto end = guest_path.find('/', start);
        if (end == std::string::npos)
            end = guest_path.size();
        auto part = guest_path.substr(start, end - start);
        if (part == "..")
            return fail(ErrorKind::invalid_input, "guest path \"{}\" must not contain ..", guest_path);
        if (!part.empty() && part != ".")
            parts.push_back(part);
        start = end + 1;
    }
    std::string out;
    for (const auto& part : parts)
        out += "/" + part;
    return out.empty() ? std::string("/") : out;
}

namespace {

bool same_content(const TreeEntry& a, const TreeEntry& b)
{
    if (a.type != b.type || a.mode != b.mode)
        return false;
    if (a.type == TreeEntry::Type::symlink)
        return a.link_target == b.link_target;
    auto* host_a = std::get_if<HostFile>(&a.content);
    auto* host_b = std::get_if<HostFile>(&b.content);
    if (host_a && host_b)
        return host_a->path == host_b->path;
    auto* bytes_a = std::get_if<std::string>(&a.content);
    auto* bytes_b = std::get_if<std::string>(&b.content);
    return bytes_a && bytes_b && *bytes_a == *bytes_b;
}

} // namespace

Status FileTree::add(const std::string& guest_path, TreeEntry entry)
{
    auto path = normalise(guest_path);
    if (!path)
        return fail(path.error());
    if (*path == "/" && entry.type != TreeEntry::Type::directory)
        return fail(ErrorKind::invalid_input, "the image root / can only be a folder");

    // Parents first: each must be a folder (or be created as one).
    std::vector<std::string> missing;
    for (auto parent = parent_of(*path); ; parent = parent_of(parent)) {
        auto found = entries_.find(parent);
        if (found != entries_.end()) {
            if (found->second.type != TreeEntry::Type::directory)
                return fail(ErrorKind::invalid_input, "cannot put {} in the image: {} is already a {}", *path, parent,
                            found->second.type == TreeEntry::Type::file ? "file" : "symlink");
            break;
        }
        missing.push_back(parent);
    }

    auto existing = entries_.find(*path);
    if (existing != entries_.end()) {
        if (existing->second.type == TreeEntry::Type::directory && entry.type == TreeEntry::Type::directory) {
            existing->second.mode = entry.mode;
            return {};
        }
        if (same_content(existing->second, entry)) // e.g. a file in Files that Dirs also holds
            return {};
        auto what = [](const TreeEntry& e) {
            return e.type == TreeEntry::Type::directory ? "a folder" : e.type == TreeEntry::Type::file ? "a file" : "a symlink";
        };
        auto from = existing->second.origin.empty() ? std::string() : " (from " + existing->second.origin + ")";
        return fail(ErrorKind::invalid_input, "{} is in the image twice: as {}{} and as {}{}", *path,
                    what(existing->second), from, what(entry), entry.origin.empty() ? "" : " (from " + entry.origin + ")");
    }
    for (const auto& parent : missing)
        entries_[parent] = TreeEntry{};
    entries_[*path] = std::move(entry);
    return {};
}

Status FileTree::put(const std::string& guest_path, TreeEntry entry)
{
    auto path = normalise(guest_path);
    if (!path)
        return fail(path.error());
    if (*path != "/") {
        auto parent = entries_.find(parent_of(*path));
        if (parent == entries_.end() || parent->second.type != TreeEntry::Type::directory)
            return fail(ErrorKind::invalid_input, "cannot put {} in the image: {} is not a folder", *path,
                        parent_of(*path));
    } else if (entry.type != TreeEntry::Type::directory) {
        return fail(ErrorKind::invalid_input, "the image root / can only be a folder");
    }
    auto existing = entries_.find(*path);
    if (existing != entries_.end() && existing->second.type == TreeEntry::Type::directory &&
        entry.type == TreeEntry::Type::directory) {
        existing->second.mode = entry.mode;
        existing->second.uid = entry.uid;
        existing->second.gid = entry.gid;
        return {};
    }
    remove(*path);
    entries_[*path] = std::move(entry);
    return {};
}

void FileTree::remove(const std::string& guest_path)
{
    auto path = normalise(guest_path);
    if (!path || *path == "/")
        return;
    entries_.erase(*path);
    auto below = *path + "/";
    for (auto it = entries_.lower_bound(below); it != entries_.end() && it->first.starts_with(below);)
        it = entries_.erase(it);
}

const TreeEntry* FileTree::find(const std::string& guest_path) const
{
    auto path = normalise(guest_path);
    if (!path)
        return nullptr;
    auto found = entries_.find(*path);
    return found == entries_.end() ? nullptr : &found->second;
}

Result<std::string> FileTree::resolve(const std::string& guest_path, bool follow_last) const
{
    if (guest_path.empty() || guest_path[0] != '/')
        return fail(ErrorKind::invalid_input, "guest path \"{}\" must be absolute (start with /)", guest_path);
    // Components still to walk, last first; what is walked so far.
    std::vector<std::string> pending;
    auto push_components = [&](const std::string& text) {
        std::vector<std::string> parts;
        std::size_t start = 0;
        while (start <= text.size()) {
            auto end = text.find('/', start);
            if (end == std::string::npos)
                end = text.size();
            auto part = text.substr(start, end - start);
            if (!part.empty() && part != ".")
                parts.push_back(part);
            start = end + 1;
        }
        pending.insert(pending.end(), parts.rbegin(), parts.rend());
    };
    push_components(guest_path);
    std::string current = "/";
    int links = 0;
    while (!pending.empty()) {
        auto part = pending.back();
        pending.pop_back();
        if (part == "..") {
            current = parent_of(current);
            continue;
        }
        std::string next = current;
        if (next != "/")
            next += '/';
        next += part;
        auto found = entries_.find(next);
        bool is_link = found != entries_.end() && found->second.type == TreeEntry::Type::symlink;
        if (!is_link || (pending.empty() && !follow_last)) {
            current = next;
            continue;
        }
        if (++links > 40)
            return fail(ErrorKind::invalid_input, "{} goes through more than 40 symlinks (a loop?)", guest_path);
        const auto& target = found->second.link_target;
        if (target.starts_with("/")) {
            current.resize(1); // back to the root: current always starts with '/'
        }
        push_components(target);
    }
    return current;
}

Status FileTree::add_directory(const std::string& guest_path, std::uint16_t mode, std::string origin)
{
    return add(guest_path, TreeEntry{.type = TreeEntry::Type::directory, .mode = mode, .origin = std::move(origin)});
}

Status FileTree::add_host_file(const std::string& guest_path, const std::filesystem::path& host_path,
                               std::uint16_t mode, std::string origin)
{
    return add(guest_path, TreeEntry{.type = TreeEntry::Type::file,
                                     .mode = mode,
                                     .content = HostFile{host_path},
                                     .origin = origin.empty() ? host_path.string() : std::move(origin),
                                     .source = host_path.string()});
}

Status FileTree::add_bytes(const std::string& guest_path, std::string bytes, std::uint16_t mode, std::string origin,
                           std::string source)
{
    return add(guest_path, TreeEntry{.type = TreeEntry::Type::file,
                                     .mode = mode,
                                     .content = std::move(bytes),
                                     .origin = std::move(origin),
                                     .source = std::move(source)});
}

Status FileTree::add_symlink(const std::string& guest_path, std::string target, std::string origin)
{
    if (target.empty())
        return fail(ErrorKind::invalid_input, "symlink {} has an empty target", guest_path);
    return add(guest_path, TreeEntry{.type = TreeEntry::Type::symlink,
                                     .mode = 0777,
                                     .link_target = std::move(target),
                                     .origin = std::move(origin),
                                     .source = "uk"});
}

} // namespace uk::image
