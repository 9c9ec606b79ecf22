#include "elf/closure.hpp"

#include "elf/object.hpp"

#include <algorithm>
#include <deque>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <glob.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace uk::elf {
namespace {

// glibc's trusted folders: multiarch (Debian, Ubuntu), then lib64 (Fedora, SUSE).
const std::vector<std::string>& default_dirs_of(Arch arch)
{
    static const std::vector<std::string> amd64 = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                                                   "/usr/lib64", "/lib", "/usr/lib"};
    static const std::vector<std::string> arm64 = {"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64",
                                                   "/usr/lib64", "/lib", "/usr/lib"};
    return arch == Arch::arm64 ? arm64 : amd64;
}

// What glibc's $LIB and $PLATFORM stand for.
std::string multiarch_lib(Arch arch) { return arch == Arch::arm64 ? "lib/aarch64-linux-gnu" : "lib/x86_64-linux-gnu"; }
std::string platform(Arch arch) { return arch == Arch::arm64 ? "aarch64" : "x86_64"; }

// A multiarch host's ld.so.conf lists every architecture's folders (Debian's libc6:arm64
// adds /usr/lib/aarch64-linux-gnu); the loader skips the other one's libraries, and so does
// uk, without naming those folders in its messages.
bool of_other_arch(const std::string& dir, Arch arch)
{
    auto other = arch == Arch::arm64 ? "x86_64-linux-gnu" : "aarch64-linux-gnu";
    return dir.find(other) != std::string::npos;
}

// What glibc programs call that goes through the name service switch. With any of these
// the image gets the NSS modules for files and DNS (built into libc since glibc 2.34,
// separate modules before).
const std::set<std::string> name_service_functions = {
    "getaddrinfo",   "getnameinfo",   "gethostbyname",  "gethostbyname2", "gethostbyname_r", "gethostbyname2_r",
    "gethostbyaddr", "gethostbyaddr_r", "getpwnam",     "getpwnam_r",     "getpwuid",        "getpwuid_r",
    "getgrnam",      "getgrnam_r",    "getgrgid",       "getgrgid_r",     "getservbyname",   "getservbyname_r",
    "getprotobyname", "getprotobyname_r", "initgroups", "getgrouplist",
};
const std::vector<std::string> name_service_modules = {"libnss_files.so.2", "libnss_dns.so.2"};

std::string normalise(const std::string& path)
{
    auto out = std::filesystem::path(path).lexically_normal().string();
    while (out.size() > 1 && out.back() == '/')
        out.pop_back();
    // Guest paths never climb above the root.
    while (out.starts_with("/.."))
        out = out.substr(3).empty() ? "/" : out.substr(3);
    return out.empty() ? "/" : out;
}

std::string parent_of(const std::string& guest_path)
{
    auto slash = guest_path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : guest_path.substr(0, slash);
}

// A folder to search: where it is on the host, where the same folder is in the guest.
struct SearchDir {
    std::filesystem::path host;
    std::string guest;
    std::string source; // "RPATH", "RUNPATH", "ld.so.conf" or "" for the defaults
    bool from_origin = false; // host is a real path next to the object, not inside the sysroot
};

struct LoadedObject {
    std::filesystem::path host;
    std::string guest;
    ObjectInfo info;
};

class Resolver {
public:
    explicit Resolver(const ClosureOptions& options) : options_(options) {}

    Result<Closure> run(const std::filesystem::path& program)
    {
        // The loader's own search folders: one that exists but cannot be read would
        // leave libraries "not found" for a reason nobody could guess.
        if (auto read = read_ld_so_conf_file("/etc/ld.so.conf", 0); !read)
            return fail(read.error());
        auto info = read_object(program);
        if (!info)
            return fail(info.error());
        objects_.push_back({program, options_.program_guest_path, std::move(*info)});
        Closure closure;
        if (objects_[0].info.interpreter) {
            const auto& interpreter = *objects_[0].info.interpreter;
            auto host = resolve_in_root(options_.sysroot, interpreter);
            if (!host)
                return fail(ErrorKind::not_found, "{} needs the loader {}, which is not {}: install its C library{}",
                            program.string(), interpreter, where(), sysroot_hint());
            closure.interpreter = PackedFile{*host, interpreter, "loader"};
        }
        // The loader is loaded already: libraries that name it in DT_NEEDED get that one.
        if (objects_[0].info.interpreter) {
            auto interpreter = resolve_in_root(options_.sysroot, *objects_[0].info.interpreter);
            found_.insert(std::filesystem::path(*objects_[0].info.interpreter).filename().string());
            if (auto loader = read_object(*interpreter); loader && loader->soname)
                found_.insert(*loader->soname);
        }
        std::deque<std::pair<std::size_t, std::string>> queue; // (requester, needed name)
        for (const auto& name : objects_[0].info.needed)
            queue.emplace_back(0, name);
        for (int round = 0; round < 2; round++) {
            while (!queue.empty()) {
                auto [requester, name] = queue.front();
                queue.pop_front();
                if (found_.contains(name))
                    continue;
                auto found = find(requester, name);
                if (!found) {
                    if (optional_.contains(name))
                        continue; // an NSS module this C library does not have as a file
                    return fail(found.error());
                }
                found_.insert(name);
                for (const auto& next : objects_.back().info.needed)
                    queue.emplace_back(objects_.size() - 1, next);
            }
            // Everything DT_NEEDED is in. glibc programs that look names up also load NSS
            // modules, which no DT_NEEDED names: a second round brings them and their needs.
            auto libc = index_of("libc.so.6");
            if (round > 0 || !libc || !uses_name_service())
                break;
            for (const auto& module : name_service_modules) {
                optional_.insert(module);
                queue.emplace_back(*libc, module);
            }
        }
        for (std::size_t i = 1; i < objects_.size(); i++) {
            const auto& object = objects_[i];
            auto file = std::filesystem::path(object.guest).filename().string();
            closure.libraries.push_back({object.host, object.guest,
                                         optional_.contains(file) ? "loaded by glibc for name lookups"
                                                                  : "needed by " + requested_by_.at(i)});
        }
        closure.uses_glibc = index_of("libc.so.6").has_value();
        closure.uses_name_service = closure.uses_glibc && uses_name_service();
        closure.extra_library_dirs = extra_dirs_;
        return closure;
    }

private:
    std::string where() const
    {
        return options_.sysroot == "/" ? "on this machine" : "under the sysroot " + options_.sysroot.string();
    }
    std::string sysroot_hint() const { return options_.sysroot == "/" ? ", or give --sysroot" : ""; }

    std::optional<std::size_t> index_of(const std::string& soname) const
    {
        for (std::size_t i = 1; i < objects_.size(); i++)
            if (objects_[i].info.soname == soname || std::filesystem::path(objects_[i].guest).filename() == soname)
                return i;
        return std::nullopt;
    }

    bool uses_name_service() const
    {
        for (const auto& object : objects_) {
            auto file = std::filesystem::path(object.guest).filename().string();
            if (file.starts_with("libc.so") || file.starts_with("libnss_") || file.starts_with("libresolv"))
                continue;
            for (const auto& symbol : object.info.imports)
                if (name_service_functions.contains(symbol))
                    return true;
        }
        return false;
    }

    Status read_ld_so_conf_file(const std::string& guest_file, int depth)
    {
        auto host = resolve_in_root(options_.sysroot, guest_file);
        if (!host || depth > 8)
            return {}; // none is fine: the loader then searches its defaults only
        std::ifstream in(*host);
        if (!in)
            return fail(ErrorKind::io, "cannot read {}, which says where the loader looks for libraries: {}",
                        host->string(), std::strerror(errno));
        for (std::string line; std::getline(in, line);) {
            line = line.substr(0, line.find('#'));
            auto start = line.find_first_not_of(" \t");
            if (start == std::string::npos)
                continue;
            line = line.substr(start, line.find_last_not_of(" \t\r") - start + 1);
            if (line.starts_with("include")) {
                auto pattern = line.substr(line.find_first_not_of(" \t", 7));
                if (!pattern.starts_with("/"))
                    pattern = parent_of(guest_file) + "/" + pattern;
                auto host_pattern = (options_.sysroot / std::filesystem::path(pattern).relative_path()).string();
                glob_t matches{};
                std::vector<std::string> files;
                if (::glob(host_pattern.c_str(), 0, nullptr, &matches) == 0)
                    files.assign(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
                globfree(&matches);
                std::sort(files.begin(), files.end());
                for (const auto& file : files) {
                    auto guest = "/" + std::filesystem::path(file).lexically_relative(options_.sysroot).string();
                    if (auto read = read_ld_so_conf_file(guest, depth + 1); !read)
                        return read;
                }
            } else if (line.starts_with("/")) {
                conf_dirs_.push_back(normalise(line));
            }
        }
        return {};
    }

    // Expands $ORIGIN (and glibc's $LIB and $PLATFORM) in an RPATH or RUNPATH entry.
    std::optional<SearchDir> expand(const std::string& entry, const LoadedObject& object, const std::string& source) const
    {
        std::string guest_dir = entry, host_rest;
        bool from_origin = false;
        for (const char* token : {"$ORIGIN", "${ORIGIN}"}) {
            if (entry.starts_with(token)) {
                from_origin = true;
                host_rest = entry.substr(std::string(token).size());
            }
        }
        auto replace_all = [](std::string text, const std::string& from, const std::string& to) {
            for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
                text.replace(at, from.size(), to);
            return text;
        };
        for (auto* text : {&guest_dir, &host_rest}) {
            *text = replace_all(*text, "${LIB}", multiarch_lib(options_.arch));
            *text = replace_all(*text, "$LIB", multiarch_lib(options_.arch));
            *text = replace_all(*text, "${PLATFORM}", platform(options_.arch));
            *text = replace_all(*text, "$PLATFORM", platform(options_.arch));
        }
        if (from_origin)
            return SearchDir{object.host.parent_path() / std::filesystem::path(host_rest).relative_path(),
                             normalise(parent_of(object.guest) + "/" + host_rest), source, true};
        if (!guest_dir.starts_with("/"))
            return std::nullopt; // relative to the working directory at run time: not ours to guess
        auto host = resolve_in_root(options_.sysroot, guest_dir);
        if (!host)
            return std::nullopt;
        return SearchDir{*host, normalise(guest_dir), source};
    }

    std::vector<SearchDir> search_dirs(std::size_t requester) const
    {
        std::vector<SearchDir> dirs;
        const auto& object = objects_[requester];
        const auto& program = objects_[0];
        auto add_all = [&](const std::vector<std::string>& entries, const LoadedObject& owner, const char* source) {
            for (const auto& entry : entries)
                if (auto dir = expand(entry, owner, source))
                    dirs.push_back(*dir);
        };
        if (object.info.runpath.empty()) {
            add_all(object.info.rpath, object, "RPATH");
            if (requester != 0 && program.info.runpath.empty())
                add_all(program.info.rpath, program, "RPATH");
        }
        add_all(object.info.runpath, object, "RUNPATH");
        for (const auto& dir : conf_dirs_)
            if (!of_other_arch(dir, options_.arch))
                if (auto host = resolve_in_root(options_.sysroot, dir))
                    dirs.push_back({*host, dir, "ld.so.conf"});
        for (const auto& dir : default_dirs_of(options_.arch))
            if (auto host = resolve_in_root(options_.sysroot, dir))
                dirs.push_back({*host, dir, ""});
        return dirs;
    }

    Status find(std::size_t requester, const std::string& name)
    {
        const auto& asking = objects_[requester];
        auto asker = requester == 0 ? asking.host.string() : asking.guest;
        if (name.find('/') != std::string::npos) {
            auto host = resolve_in_root(options_.sysroot, name);
            if (!host)
                return fail(ErrorKind::not_found, "{}, needed by {}, is not {}", name, asker, where());
            return add(*host, normalise(name), requester);
        }
        auto dirs = search_dirs(requester);
        for (const auto& dir : dirs) {
            std::optional<std::filesystem::path> host;
            std::error_code ec;
            if (dir.from_origin) {
                auto candidate = std::filesystem::canonical(dir.host / name, ec);
                if (!ec)
                    host = candidate;
            } else {
                host = resolve_in_root(options_.sysroot, dir.guest + "/" + name);
            }
            if (!host || !std::filesystem::is_regular_file(*host, ec))
                continue;
            auto info = read_object(*host);
            if (!info || !is_for(*info, options_.arch))
                continue; // the loader skips libraries of another class or machine too
            if (dir.source == "ld.so.conf" &&
                std::ranges::find(default_dirs_of(options_.arch), dir.guest) == default_dirs_of(options_.arch).end() &&
                std::find(extra_dirs_.begin(), extra_dirs_.end(), dir.guest) == extra_dirs_.end())
                extra_dirs_.push_back(dir.guest);
            objects_.push_back({*host, normalise(dir.guest + "/" + name), std::move(*info)});
            requested_by_[objects_.size() - 1] = asker;
            return {};
        }
        // The folders as the user knows them: $ORIGIN ones on this machine, the others as
        // paths of the (sys)root; each once, defaults without a label.
        std::string looked;
        std::set<std::string> seen;
        for (const auto& dir : dirs) {
            auto shown = dir.from_origin ? dir.host.lexically_normal().string() : dir.guest;
            if (!seen.insert(shown).second)
                continue;
            const auto& defaults = default_dirs_of(options_.arch);
            bool is_default = std::ranges::find(defaults, dir.guest) != defaults.end();
            auto label = dir.source.empty() || (is_default && dir.source == "ld.so.conf") ? "" : " (" + dir.source + ")";
            looked += (looked.empty() ? "" : ", ") + shown + label;
        }
        return fail(ErrorKind::not_found,
                    "cannot find {}, needed by {}: looked {} in {}; install it{}, or add it to the image yourself",
                    name, asker, where(), looked, sysroot_hint());
    }

    Status add(const std::filesystem::path& host, const std::string& guest, std::size_t requester)
    {
        auto info = read_object(host);
        if (!info)
            return fail(info.error());
        objects_.push_back({host, guest, std::move(*info)});
        requested_by_[objects_.size() - 1] = requester == 0 ? objects_[0].host.string() : objects_[requester].guest;
        return {};
    }

    const ClosureOptions& options_;
    std::vector<std::string> conf_dirs_;
    std::vector<LoadedObject> objects_;
    std::map<std::size_t, std::string> requested_by_;
    std::set<std::string> found_;
    std::set<std::string> optional_;
    std::vector<std::string> extra_dirs_;
};

} // namespace

std::optional<std::filesystem::path> resolve_in_root(const std::filesystem::path& root, const std::string& path)
{
    std::deque<std::string> pending;
    auto push_components = [&pending](const std::string& text, bool front) {
        std::vector<std::string> parts;
        std::size_t start = 0;
        while (start <= text.size()) {
            auto end = text.find('/', start);
            if (end == std::string::npos)
                end = text.size();
            if (end > start)
                parts.push_back(text.substr(start, end - start));
            start = end + 1;
        }
        if (front)
            pending.insert(pending.begin(), parts.begin(), parts.end());
        else
            pending.insert(pending.end(), parts.begin(), parts.end());
    };
    push_components(path, false);
    std::vector<std::string> resolved;
    int links = 0;
    while (!pending.empty()) {
        auto part = pending.front();
        pending.pop_front();
        if (part == ".")
            continue;
        if (part == "..") {
            if (!resolved.empty())
                resolved.pop_back();
            continue;
        }
        std::filesystem::path host = root;
        for (const auto& p : resolved)
            host /= p;
        host /= part;
        struct stat st{};
        if (::lstat(host.c_str(), &st) != 0)
            return std::nullopt;
        if (S_ISLNK(st.st_mode)) {
            if (++links > 40)
                return std::nullopt;
            std::error_code ec;
            auto target = std::filesystem::read_symlink(host, ec).string();
            if (ec)
                return std::nullopt;
            if (target.starts_with("/"))
                resolved.clear();
            push_components(target, true);
            continue;
        }
        resolved.push_back(part);
    }
    std::filesystem::path out = root;
    for (const auto& p : resolved)
        out /= p;
    return out;
}

Result<Closure> resolve_closure(const std::filesystem::path& program, const ClosureOptions& options)
{
    Resolver resolver(options);
    return resolver.run(program);
}

} // namespace uk::elf
