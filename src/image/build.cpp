#include "image/build.hpp"

#include "elf/elf.hpp"
#include "image/file_tree.hpp"
#include "image/manifest.hpp"

#include <cctype>
#include <string>

namespace uk::image {
namespace {

// What a program expects under /etc even in an image of one program.
constexpr const char* hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
constexpr const char* passwd = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n";
constexpr const char* group = "root:x:0:\nnogroup:x:65534:\n";

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

Status check_image_name(const std::string& name)
{
    bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name.front()));
    for (char c : name)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
    if (!ok)
        return fail(ErrorKind::usage,
                    "image name \"{}\" is not valid: use 1 to 64 lower-case letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit",
                    name);
    return {};
}

Result<BuildResult> build_image(const BuildRequest& request)
{
    auto program = elf::inspect_program(request.program);
    if (!program)
        return fail(program.error());
    if (program->linking == elf::Linking::dynamic)
        return fail(ErrorKind::invalid_input,
                    "{} is dynamically linked (it needs {}); this uk packs statically linked programs only: "
                    "build it statically (for Go: CGO_ENABLED=0)",
                    request.program.string(), program->interpreter.value_or("a loader"));

    BuildResult result;
    FileTree tree;
    // The program sits at the top of the root, as ops puts it, under its own name.
    result.guest_program = "/" + request.program.filename().string();
    for (const char* folder : {"/dev", "/proc", "/sys", "/tmp", "/run", "/root", "/etc/uk", "/sbin"})
        if (auto added = tree.add_directory(folder, std::string(folder) == "/tmp" ? 01777 : 0755); !added)
            return fail(added.error());
    if (auto added = tree.add_host_file(result.guest_program, request.program, 0755); !added)
        return fail(added.error());
    if (auto added = tree.add_bytes("/sbin/uk-init",
                                    std::string(reinterpret_cast<const char*>(request.init.data()), request.init.size()),
                                    0755);
        !added)
        return fail(added.error());

    Manifest manifest;
    manifest.program = result.guest_program;
    manifest.argv.push_back(result.guest_program);
    manifest.argv.insert(manifest.argv.end(), request.args.begin(), request.args.end());
    manifest.env = request.env;
    manifest.hostname = hostname_from(request.name);
    // Servers open many sockets; the kernel's default of 1024 is a container-era trap.
    manifest.rlimits["nofile"] = {65536, 65536};

    // DNS follows the network uk run configures: uk-init writes /run/resolv.conf from
    // the servers it is given, or from what the kernel's DHCP client found.
    for (auto [path, text] : {std::pair{"/etc/hosts", hosts}, std::pair{"/etc/passwd", passwd}, std::pair{"/etc/group", group}})
        if (auto added = tree.add_bytes(path, text); !added)
            return fail(added.error());
    if (auto added = tree.add_symlink("/etc/resolv.conf", "/run/resolv.conf"); !added)
        return fail(added.error());
    std::error_code ec;
    if (std::filesystem::is_regular_file(request.ca_bundle, ec)) {
        if (auto added = tree.add_host_file("/etc/ssl/certs/ca-certificates.crt", request.ca_bundle, 0644); !added)
            return fail(added.error());
        result.has_ca_bundle = true;
    }
    if (auto added = tree.add_bytes("/etc/uk/manifest.json", to_json(manifest)); !added)
        return fail(added.error());

    SquashfsOptions squashfs;
    squashfs.compression = request.compression;
    squashfs.cancelled = request.cancelled;
    auto disk = write_disk(
        DiskSpec{.root = &tree, .kernel = request.kernel, .squashfs = squashfs, .cancelled = request.cancelled},
        request.output);
    if (!disk)
        return fail(disk.error());
    result.disk = std::move(*disk);
    return result;
}

} // namespace uk::image
