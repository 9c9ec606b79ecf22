#include "image/build.hpp"

#include "core/log.hpp"
#include "core/units.hpp"
#include "elf/closure.hpp"
#include "elf/elf.hpp"
#include "image/contents.hpp"
#include "image/manifest.hpp"

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

// The program and everything it loads: its loader and the closure of its libraries.
Status pack_program(FileTree& tree, const BuildRequest& request, const std::string& guest_program,
                    Manifest& manifest)
{
    auto program = elf::inspect_program(request.program);
    if (!program)
        return fail(program.error());
    PackOptions options{.strip = request.strip};
    if (auto added = pack_file(tree, request.program, guest_program, 0755, "program", options); !added)
        return added;
    if (program->linking != elf::Linking::dynamic)
        return {};
    auto closure = elf::resolve_closure(request.program, {.sysroot = request.sysroot, .program_guest_path = guest_program});
    if (!closure)
        return fail(closure.error());
    if (closure->interpreter)
        if (auto added = pack_file(tree, closure->interpreter->host, closure->interpreter->guest, 0755, "loader", options);
            !added)
            return added;
    for (const auto& library : closure->libraries)
        if (auto added = pack_file(tree, library.host, library.guest, mode_of(library.host, 0755), library.why, options);
            !added)
            return added;
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

Result<ImagePlan> plan_image(const BuildRequest& request)
{
    ImagePlan plan;
    auto& tree = plan.tree;
    // The program sits at the top of the root, as ops puts it, under its own name.
    plan.guest_program = "/" + request.program.filename().string();
    for (const char* folder : {"/dev", "/proc", "/sys", "/tmp", "/run", "/root", "/etc/uk", "/sbin"})
        if (auto added = tree.add_directory(folder, std::string(folder) == "/tmp" ? 01777 : 0755, "uk"); !added)
            return fail(added.error());

    Manifest manifest;
    manifest.program = plan.guest_program;
    manifest.argv.push_back(plan.guest_program);
    manifest.argv.insert(manifest.argv.end(), request.args.begin(), request.args.end());
    manifest.env = request.env;
    manifest.hostname = hostname_from(request.name);
    manifest.readonly_root = request.readonly_root;
    manifest.writable_root_mib = request.writable_root_mib;
    // Servers open many sockets; the kernel's default of 1024 is a container-era trap.
    manifest.rlimits["nofile"] = {65536, 65536};

    if (auto packed = pack_program(tree, request, plan.guest_program, manifest); !packed)
        return fail(packed.error());
    if (auto packed = pack_contents(tree, request.contents, {.strip = request.strip}); !packed)
        return fail(packed.error());
    if (auto added = tree.add_bytes("/sbin/uk-init",
                                    std::string(reinterpret_cast<const char*>(request.init.data()), request.init.size()),
                                    0755);
        !added)
        return fail(added.error());

    for (auto [path, text] : {std::pair{"/etc/hosts", hosts}, std::pair{"/etc/passwd", passwd}, std::pair{"/etc/group", group}})
        if (!tree.contains(path))
            if (auto added = tree.add_bytes(path, text); !added)
                return fail(added.error());
    if (!tree.contains("/etc/resolv.conf")) {
        if (request.name_servers.empty()) {
            // DNS follows the network uk run configures: uk-init writes /run/resolv.conf
            // from the servers it is given, or from what the kernel's DHCP client found.
            if (auto added = tree.add_symlink("/etc/resolv.conf", "/run/resolv.conf"); !added)
                return fail(added.error());
        } else {
            std::string resolv;
            for (const auto& server : request.name_servers)
                resolv += "nameserver " + server + "\n";
            if (auto added = tree.add_bytes("/etc/resolv.conf", resolv, 0644, "NameServers"); !added)
                return fail(added.error());
        }
    }
    std::error_code ec;
    if (!tree.contains("/etc/ssl/certs/ca-certificates.crt") && std::filesystem::is_regular_file(request.ca_bundle, ec)) {
        if (auto added = tree.add_host_file("/etc/ssl/certs/ca-certificates.crt", request.ca_bundle, 0644, "CA bundle");
            !added)
            return fail(added.error());
        plan.has_ca_bundle = true;
    }
    auto manifest_text = to_json(manifest);
    if (auto fits = check_manifest(manifest, manifest_text); !fits)
        return fail(fits.error());
    if (auto added = tree.add_bytes("/etc/uk/manifest.json", manifest_text); !added)
        return fail(added.error());

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
    SquashfsOptions squashfs;
    squashfs.compression = resolve_compression(request.compression, raw_bytes);
    log::detail("{} files, {} before compression; the root is {} SquashFS", plan->listing.size(), human_bytes(raw_bytes),
                to_string(squashfs.compression));
    squashfs.cancelled = request.cancelled;
    auto disk = write_disk(
        DiskSpec{.root = &plan->tree,
                 .kernel = request.kernel,
                 .squashfs = squashfs,
                 .readers = request.readers,
                 .cancelled = request.cancelled},
        request.output);
    if (!disk)
        return fail(disk.error());
    return BuildResult{std::move(*disk), plan->guest_program, plan->has_ca_bundle, squashfs.compression};
}

} // namespace uk::image
