#include "image/build.hpp"

#include "core/log.hpp"
#include "core/units.hpp"
#include "elf/closure.hpp"
#include "elf/elf.hpp"
#include "image/contents.hpp"
#include "image/manifest.hpp"
#include "image/node_builtins.hpp"

#include <cctype>
#include <string>
#include <sys/stat.h>

namespace uk::image {
namespace {

// What a program expects under /etc even in an image of one program.
constexpr const char* hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
constexpr const char* passwd = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n";
constexpr const char* group = "root:x:0:\nnogroup:x:65534:\n";
// glibc reads this to pick its name services: the files above and DNS, both built into
// libc since glibc 2.34 (and packed as modules for older ones).
constexpr const char* nsswitch = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
                                 "networks: files\nprotocols: files\nservices: files\n";

std::string hostname_from(const std::string& name)
{
    std::string out;
    for (char c : name)
        out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    while (!out.empty() && out.front() == '-')
        out.erase(out.begin());
    if (out.size() > 63)
        out.resize(63);
    while (!out.empty() && out.back() == '-')
        out.pop_back();
    return out.empty() ? "uk" : out;
}

std::uint16_t mode_of(const std::filesystem::path& path, std::uint16_t fallback)
{
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint16_t>(st.st_mode & 07777) : fallback;
}

// Debian's libnode loads some builtins from /usr/share/nodejs (image/node_builtins.hpp).
Status pack_node_builtins(FileTree& tree, const BuildRequest& request, const elf::PackedFile& library)
{
    auto paths = externalized_node_builtins(library.host);
    if (!paths)
        return fail(paths.error());
    for (const auto& path : *paths) {
        if (tree.contains(path))
            continue;
        auto host = elf::resolve_in_root(request.sysroot, path);
        std::error_code ec;
        if (!host || !std::filesystem::is_regular_file(*host, ec))
            return fail(ErrorKind::not_found,
                        "{} loads {} at start, which is not {}: install the Debian package that holds it (node-{})",
                        library.guest, path, request.sysroot == "/" ? "on this machine" : "under " + request.sysroot.string(),
                        std::filesystem::path(path).lexically_relative("/usr/share/nodejs").begin()->string());
        if (auto added = pack_file(tree, *host, path, 0644, "Node.js builtin, loaded by " + library.guest, {}); !added)
            return added;
    }
    return {};
}

// The program and everything it loads: its loader and the closure of its libraries.
Status pack_program(FileTree& tree, const BuildRequest& request, const std::string& guest_program,
                    Manifest& manifest)
{
    auto program = elf::inspect_program(request.program);
    if (!program)
        return fail(program.error());
    if (program->arch != request.arch)
        return fail(ErrorKind::usage, "{} is an {} program, and the image is for {}: give --arch {} or leave --arch out",
                    request.program.string(), display_name(program->arch), display_name(request.arch),
                    to_string(program->arch));
    PackOptions options{.strip = request.strip};
    if (auto added = pack_file(tree, request.program, guest_program, 0755, "program", options); !added)
        return added;
    if (program->linking != elf::Linking::dynamic)
        return {};
    auto closure = elf::resolve_closure(
        request.program, {.sysroot = request.sysroot, .program_guest_path = guest_program, .arch = request.arch});
    if (!closure)
        return fail(closure.error());
    if (closure->interpreter)
        if (auto added = pack_file(tree, closure->interpreter->host, closure->interpreter->guest, 0755, "loader", options);
            !added)
            return added;
    for (const auto& library : closure->libraries) {
        if (auto added = pack_file(tree, library.host, library.guest, mode_of(library.host, 0755), library.why, options);
            !added)
            return added;
        if (std::filesystem::path(library.guest).filename().string().starts_with("libnode.so"))
            if (auto added = pack_node_builtins(tree, request, library); !added)
                return added;
    }
    if (closure->uses_glibc)
        if (auto added = tree.add_bytes("/etc/nsswitch.conf", nsswitch); !added)
            return added;
    // No ld.so.cache in the image: libraries found through ld.so.conf need a path.
    if (!closure->extra_library_dirs.empty()) {
        std::string dirs;
        for (const auto& dir : closure->extra_library_dirs)
            dirs += (dirs.empty() ? "" : ":") + dir;
        auto existing = std::find_if(manifest.env.begin(), manifest.env.end(),
                                     [](const auto& pair) { return pair.first == "LD_LIBRARY_PATH"; });
        if (existing == manifest.env.end())
            manifest.env.emplace_back("LD_LIBRARY_PATH", dirs);
        else
            existing->second += ":" + dirs;
    }
    return {};
}

} // namespace

std::string default_image_name(const std::filesystem::path& program)
{
    std::string name;
    for (char c : program.filename().string()) {
        auto u = static_cast<unsigned char>(c);
        name += std::isalnum(u) || c == '-' || c == '_' || c == '.' ? static_cast<char>(std::tolower(u)) : '-';
    }
    while (!name.empty() && !std::isalnum(static_cast<unsigned char>(name.front())))
        name.erase(name.begin());
    if (name.size() > 64)
        name.resize(64);
    return name.empty() ? "image" : name;
}

namespace {

// uk run --strace: strace with its own loader and libraries in /.uk, started by that
// loader, tracing the program; strace exits with the program's status.
Status wrap_in_strace(FileTree& tree, const BuildRequest& request, Manifest& manifest)
{
    constexpr const char* strace_guest = "/.uk/strace";
    constexpr const char* library_dir = "/.uk/lib";
    auto strace = elf::inspect_program(request.strace);
    if (!strace)
        return fail(strace.error());
    if (strace->arch != request.arch)
        return fail(ErrorKind::usage,
                    "--strace packs this machine's strace ({}), which an {} guest cannot run: give --strace for {} "
                    "programs only",
                    request.strace.string(), display_name(request.arch), display_name(strace->arch));
    if (auto added = pack_file(tree, request.strace, strace_guest, 0755, "strace", {}); !added)
        return added;
    std::vector<std::string> argv;
    if (strace->linking == elf::Linking::dynamic) {
        auto closure = elf::resolve_closure(request.strace,
                                            {.sysroot = "/", .program_guest_path = strace_guest, .arch = strace->arch});
        if (!closure)
            return fail(closure.error());
        if (!closure->interpreter)
            return fail(ErrorKind::invalid_input, "{} names no loader", request.strace.string());
        auto loader = std::string(library_dir) + "/" + std::filesystem::path(closure->interpreter->guest).filename().string();
        if (auto added = pack_file(tree, closure->interpreter->host, loader, 0755, "strace's loader", {}); !added)
            return added;
        for (const auto& library : closure->libraries) {
            auto guest = std::string(library_dir) + "/" + std::filesystem::path(library.guest).filename().string();
            if (tree.contains(guest))
                continue;
            if (auto added = pack_file(tree, library.host, guest, mode_of(library.host, 0755), "needed by strace", {});
                !added)
                return added;
        }
        argv = {loader, "--library-path", library_dir, strace_guest};
    } else {
        argv = {strace_guest};
    }
    argv.insert(argv.end(), request.strace_options.begin(), request.strace_options.end());
    argv.push_back("--");
    argv.push_back(manifest.program);
    argv.insert(argv.end(), manifest.argv.begin() + (manifest.argv.empty() ? 0 : 1), manifest.argv.end());
    manifest.program = argv.front();
    manifest.argv = std::move(argv);
    return {};
}

// A folder uk needs: made unless the tree has it already, perhaps through a symlink
// (/sbin -> usr/sbin in a merged-/usr image). Returns where it really is.
Result<std::string> ensure_folder(FileTree& tree, const std::string& folder, std::uint16_t mode)
{
    auto resolved = tree.resolve(folder, true);
    if (!resolved)
        return fail(resolved.error());
    const auto* entry = tree.find(*resolved);
    if (entry && entry->type == TreeEntry::Type::directory)
        return *resolved;
    if (entry)
        return fail(ErrorKind::invalid_input, "the image has a {} at {}, where uk needs a folder",
                    entry->type == TreeEntry::Type::file ? "file" : "symlink", folder);
    if (auto added = tree.add_directory(*resolved, mode, "uk"); !added)
        return fail(added.error());
    return *resolved;
}

// The folders uk-init and the program expect, before anything else goes in.
Status make_folders(FileTree& tree)
{
    for (const char* folder : {"/dev", "/proc", "/sys", "/tmp", "/run", "/root", "/etc/uk", "/sbin"})
        if (auto made = ensure_folder(tree, folder, std::string(folder) == "/tmp" ? 01777 : 0755); !made)
            return fail(made.error());
    return {};
}

// What uk writes into every root: uk-init, /etc basics, the manifest.
Status finish_root(FileTree& tree, const BuildRequest& request, const Manifest& manifest, bool image_root)
{
    auto sbin = tree.resolve("/sbin", true);
    auto etc = tree.resolve("/etc", true);
    if (!sbin || !etc)
        return fail(!sbin ? sbin.error() : etc.error());
    auto init_path = *sbin + "/uk-init";
    // An image's own copy gives way; a user's file there is a mistake add_bytes names.
    if (image_root)
        tree.remove(init_path);
    if (auto added = tree.add_bytes(init_path,
                                    std::string(reinterpret_cast<const char*>(request.init.data()), request.init.size()),
                                    0755);
        !added)
        return added;
    for (auto [name, text] : {std::pair{"/hosts", hosts}, std::pair{"/passwd", passwd}, std::pair{"/group", group}})
        if (!tree.find(*etc + name))
            if (auto added = tree.add_bytes(*etc + name, text); !added)
                return added;
    // DNS follows the network uk run configures: uk-init writes /run/resolv.conf from the
    // servers it is given, or from what the kernel's DHCP client found. An image's own
    // resolv.conf is replaced, as a container runtime replaces it.
    auto resolv = *etc + "/resolv.conf";
    if (image_root || !tree.find(resolv)) {
        tree.remove(resolv);
        if (request.name_servers.empty()) {
            if (auto added = tree.add_symlink(resolv, "/run/resolv.conf"); !added)
                return added;
        } else {
            std::string text;
            for (const auto& server : request.name_servers)
                text += "nameserver " + server + "\n";
            if (auto added = tree.add_bytes(resolv, text, 0644, "NameServers"); !added)
                return added;
        }
    }
    auto manifest_text = to_json(manifest);
    if (auto fits = check_manifest(manifest, manifest_text); !fits)
        return fits;
    if (image_root)
        tree.remove(*etc + "/uk/manifest.json");
    return tree.add_bytes(*etc + "/uk/manifest.json", manifest_text);
}

} // namespace

Result<ImagePlan> plan_image(const BuildRequest& request)
{
    ImagePlan plan;
    auto& tree = plan.tree;
    Manifest manifest;
    manifest.hostname = hostname_from(request.name);
    manifest.readonly_root = request.readonly_root;
    manifest.writable_root_mib = request.writable_root_mib;
    // Servers open many sockets; the kernel's default of 1024 is a container-era trap.
    manifest.rlimits["nofile"] = {65536, 65536};
    manifest.env = request.env;

    if (request.root)
        tree = request.root->tree;
    if (auto made = make_folders(tree); !made)
        return fail(made.error());
    if (request.root) {
        plan.guest_program = request.root->program;
        manifest.program = request.root->program;
        manifest.argv = request.root->argv;
        manifest.cwd = request.root->working_dir;
        if (request.root->uid || request.root->gid) {
            manifest.uid = request.root->uid;
            manifest.gid = request.root->gid;
        }
        if (auto made = ensure_folder(tree, manifest.cwd, 0755); !made)
            return fail(made.error());
        if (!request.root->image_record.empty()) {
            if (auto made = ensure_folder(tree, "/etc/uk", 0755); !made)
                return fail(made.error());
            tree.remove("/etc/uk/image.json");
            if (auto added = tree.add_bytes("/etc/uk/image.json", request.root->image_record); !added)
                return fail(added.error());
        }
    } else {
        // The program sits at the top of the root, as ops puts it, under its own name.
        plan.guest_program = "/" + request.program.filename().string();
        manifest.program = plan.guest_program;
        manifest.argv.push_back(plan.guest_program);
        manifest.argv.insert(manifest.argv.end(), request.args.begin(), request.args.end());
        if (auto packed = pack_program(tree, request, plan.guest_program, manifest); !packed)
            return fail(packed.error());
    }
    if (auto packed = pack_contents(tree, request.contents, {.strip = request.strip}); !packed)
        return fail(packed.error());
    if (!request.strace.empty())
        if (auto wrapped = wrap_in_strace(tree, request, manifest); !wrapped)
            return fail(wrapped.error());
    std::error_code ec;
    if (!request.root && !tree.contains("/etc/ssl/certs/ca-certificates.crt") &&
        std::filesystem::is_regular_file(request.ca_bundle, ec)) {
        if (auto added = tree.add_host_file("/etc/ssl/certs/ca-certificates.crt", request.ca_bundle, 0644, "CA bundle");
            !added)
            return fail(added.error());
        plan.has_ca_bundle = true;
    }
    if (auto finished = finish_root(tree, request, manifest, request.root.has_value()); !finished)
        return fail(finished.error());

    for (const auto& [path, entry] : tree.entries()) {
        if (entry.type == TreeEntry::Type::directory)
            continue;
        std::uint64_t size = 0;
        if (const auto* bytes = std::get_if<std::string>(&entry.content))
            size = bytes->size();
        else if (const auto* host = std::get_if<HostFile>(&entry.content))
            size = std::filesystem::file_size(host->path, ec);
        auto why = entry.type == TreeEntry::Type::symlink ? "-> " + entry.link_target : entry.origin;
        plan.listing.push_back({path, size, entry.source, why});
    }
    return plan;
}

Result<BuildResult> build_image(const BuildRequest& request)
{
    auto plan = plan_image(request);
    if (!plan)
        return fail(plan.error());
    std::uint64_t raw_bytes = 0;
    for (const auto& entry : plan->listing) {
        raw_bytes += entry.size;
        if (log::verbose())
            log::detail("packing {} ({})", entry.guest,
                        entry.source != "uk" ? entry.source + ", " + entry.why
                        : entry.why == "uk"  ? std::string("written by uk")
                                             : "written by uk: " + entry.why);
    }
    bool erofs = request.root_fs == settings::RootFs::erofs;
    if (erofs && request.compression != Compression::automatic && request.compression != Compression::none)
        return fail(ErrorKind::usage, "--compression {} goes with a SquashFS root: an EROFS root (--root-fs erofs) is "
                                      "stored uncompressed; leave --compression out",
                    to_string(request.compression));
    SquashfsOptions squashfs;
    squashfs.compression = erofs ? Compression::none : resolve_compression(request.compression, raw_bytes);
    squashfs.block_size = block_size_for(raw_bytes);
    if (erofs)
        log::detail("{} files, {}; the root is an uncompressed EROFS", plan->listing.size(), human_bytes(raw_bytes));
    else
        log::detail("{} files, {} before compression; the root is {} SquashFS in {} KiB blocks", plan->listing.size(),
                    human_bytes(raw_bytes), to_string(squashfs.compression), squashfs.block_size / 1024);
    squashfs.cancelled = request.cancelled;
    auto disk = write_disk(
        DiskSpec{.root = &plan->tree,
                 .kernel = request.kernel,
                 .arch = request.arch,
                 .root_fs = request.root_fs,
                 .squashfs = squashfs,
                 .readers = request.readers,
                 .cancelled = request.cancelled},
        request.output);
    if (!disk)
        return fail(disk.error());
    return BuildResult{std::move(*disk), plan->guest_program, plan->has_ca_bundle, squashfs.compression,
                       request.root_fs};
}

} // namespace uk::image
