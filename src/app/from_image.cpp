#include "app/from_image.hpp"

#include "core/files.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/temporary_files.hpp"
#include "image/export.hpp"
#include "image/firmware.hpp"
#include "image/disk.hpp"
#include "oci/rootfs.hpp"
#include "state/names.hpp"
#include "oci/scratch.hpp"
#include "oci/tar.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

namespace uk::app {
namespace {

constexpr const char* default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::vector<std::string> split(const std::string& text, char separator)
{
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator))
        parts.push_back(part);
    return parts;
}

std::optional<std::uint32_t> number(const std::string& text)
{
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

// Lines of /etc/passwd or /etc/group in the image, split at ':'.
std::vector<std::vector<std::string>> table(const image::FileTree& tree, const std::string& path)
{
    std::vector<std::vector<std::string>> rows;
    auto text = oci::read_tree_file(tree, path, 4 << 20);
    if (!text)
        return rows;
    for (const auto& line : split(*text, '\n'))
        if (!line.empty() && !line.starts_with("#"))
            rows.push_back(split(line, ':'));
    return rows;
}

// User as docker reads it: NAME or UID, then optionally :GROUP or :GID.
Status resolve_user(const std::string& user, const image::FileTree& tree, ImageStart& start)
{
    if (user.empty())
        return {};
    auto colon = user.find(':');
    auto who = user.substr(0, colon);
    auto passwd = table(tree, "/etc/passwd");
    const std::vector<std::string>* row = nullptr;
    for (const auto& r : passwd)
        if (r.size() >= 4 && (r[0] == who || (number(who) && number(r[2]) == number(who)))) {
            row = &r;
            break;
        }
    if (auto uid = number(who)) {
        start.uid = *uid;
    } else if (row && number((*row)[2])) {
        start.uid = *number((*row)[2]);
    } else {
        return fail(ErrorKind::invalid_input, "the image runs as user {}, who is not in its /etc/passwd: give User as a "
                                              "number in the image",
                    who);
    }
    start.gid = row && number((*row)[3]) ? *number((*row)[3]) : 0;
    if (row && row->size() >= 6 && !(*row)[5].empty() &&
        std::none_of(start.env.begin(), start.env.end(), [](const auto& e) { return e.first == "HOME"; }))
        start.env.emplace_back("HOME", (*row)[5]);
    if (colon == std::string::npos)
        return {};
    auto group = user.substr(colon + 1);
    if (auto gid = number(group)) {
        start.gid = *gid;
        return {};
    }
    for (const auto& r : table(tree, "/etc/group"))
        if (r.size() >= 3 && r[0] == group && number(r[2])) {
            start.gid = *number(r[2]);
            return {};
        }
    return fail(ErrorKind::invalid_input, "the image runs as group {}, which is not in its /etc/group", group);
}

// The file a word of argv names: with a '/', from the working folder; else the first
// executable of that name in PATH, as a shell finds it. `image` names the image in errors.
Result<std::string> find_program(const image::FileTree& tree, const std::string& word, const std::string& working_dir,
                                 const std::string& path, const std::string& image)
{
    auto entry_at = [&](const std::string& candidate) -> const image::TreeEntry* {
        auto resolved = tree.resolve(candidate, true);
        return resolved ? tree.find(*resolved) : nullptr;
    };
    auto executable = [](const image::TreeEntry* entry) {
        return entry && entry->type == image::TreeEntry::Type::file && (entry->mode & 0111);
    };
    if (word.find('/') != std::string::npos) {
        auto candidate = word.starts_with("/") ? word : (working_dir == "/" ? "" : working_dir) + "/" + word;
        const auto* entry = entry_at(candidate);
        if (!entry)
            return fail(ErrorKind::not_found, "{} has no {}: give the program to run as a path in the image", image,
                        candidate);
        if (!executable(entry))
            return fail(ErrorKind::invalid_input, "{} in {} is not an executable file: give the program to run as a "
                                                  "path in the image",
                        candidate, image);
        return candidate;
    }
    for (const auto& folder : split(path, ':')) {
        if (folder.empty() || !folder.starts_with("/"))
            continue;
        auto candidate = (folder == "/" ? "" : folder) + "/" + word;
        if (executable(entry_at(candidate)))
            return candidate;
    }
    return fail(ErrorKind::not_found, "{} has no program {} in its PATH ({}): give the program to run as a path in the "
                                      "image",
                image, word, path);
}

// An x86-64 ELF or a script; anything else would fail in the guest with less to go on.
Status check_program(const image::FileTree& tree, const std::string& program, const std::string& image)
{
    auto head = oci::read_tree_file(tree, program, 64);
    if (!head)
        return fail(head.error());
    if (head->starts_with("#!"))
        return {};
    if (!head->starts_with("\177ELF") || head->size() < 20)
        return fail(ErrorKind::invalid_input, "{} in {} is neither an ELF program nor a script", program, image);
    auto machine = static_cast<unsigned char>((*head)[18]) | static_cast<unsigned char>((*head)[19]) << 8;
    if ((*head)[4] != 2 || machine != 62)
        return fail(ErrorKind::invalid_input, "{} in {} is not an x86-64 program: uk runs x86-64 Linux programs", program,
                    image);
    return {};
}

void set_variable(std::vector<std::pair<std::string, std::string>>& env, const std::string& key, const std::string& value)
{
    auto existing = std::find_if(env.begin(), env.end(), [&](const auto& e) { return e.first == key; });
    if (existing != env.end())
        existing->second = value;
    else
        env.emplace_back(key, value);
}

std::string short_name(const oci::Reference& reference)
{
    auto name = image::default_image_name(reference.short_name());
    return name;
}

} // namespace

Result<oci::PulledImage> pull(const ImageFetch& fetch, const state::Paths& paths)
{
    auto reference = oci::parse_reference(fetch.reference);
    if (!reference)
        return fail(reference.error());
    oci::SourceOptions options{.cache = paths.cache,
                               .registry = {.tls_verify = fetch.tls_verify,
                                            .environment = fetch.environment,
                                            .cancelled = [] { return stop_requested(); }}};
    return oci::pull_image(*reference, options, fetch.progress);
}

Result<std::optional<std::filesystem::path>> install_container_disk(const oci::PulledImage& image,
                                                                    const std::string& name,
                                                                    const state::ImageStore& store,
                                                                    const state::Paths& paths)
{
    // A containerDisk has one layer and nothing to run.
    if (image.layers.size() != 1 || image.config.entrypoint || image.config.cmd)
        return std::optional<std::filesystem::path>();
    auto scratch = oci::ScratchFolder::make(paths.cache, "disk");
    if (!scratch)
        return fail(scratch.error());
    auto disk = scratch->path() / "disk";
    auto found = oci::extract_single_file(image.layers.front(), "disk", disk, image.reference.to_string() + " layer",
                                          [] { return stop_requested(); });
    if (!found)
        return fail(found.error());
    if (!*found)
        return std::optional<std::filesystem::path>();
    if (auto valid = state::check_name("image", name); !valid)
        return fail(valid.error());
    if (auto made = state::ensure_directory(store.folder()); !made)
        return fail(made.error());
    auto format = image::detect_disk_format(disk);
    if (!format)
        return fail(format.error());
    auto output = store.file_of(name);
    // The store holds raw images, which uk run boots directly or through firmware.
    if (auto exported = image::import_disk(disk, *format, output, [] { return stop_requested(); }); !exported)
        return fail(exported.error());
    if (!image::root_partuuid_of(output)) {
        std::error_code ec;
        std::filesystem::remove(output, ec);
        return fail(ErrorKind::invalid_input, "{} holds a disk ({}) that is not a uk image: uk runs the disks uk image "
                                              "push writes",
                    image.reference.to_string(), **found);
    }
    return std::optional(output);
}

Result<ImageStart> image_start(const oci::PulledImage& image, const image::FileTree& tree,
                               const config::Settings& settings)
{
    const auto& config = image.config;
    ImageStart start;
    for (const auto& variable : config.env) {
        auto equals = variable.find('=');
        set_variable(start.env, variable.substr(0, equals), equals == std::string::npos ? "" : variable.substr(equals + 1));
    }
    for (const auto& [key, value] : settings.env)
        set_variable(start.env, key, value);
    start.working_dir = config.working_dir.empty() ? "/" : config.working_dir;
    if (!start.working_dir.starts_with("/"))
        start.working_dir = "/" + start.working_dir;
    if (auto user = resolve_user(config.user, tree, start); !user)
        return fail(user.error());

    if (settings.program) {
        start.argv = {*settings.program};
        start.argv.insert(start.argv.end(), settings.args.begin(), settings.args.end());
    } else {
        start.argv = config.entrypoint.value_or(std::vector<std::string>{});
        const auto& cmd = !settings.args.empty() ? settings.args : config.cmd.value_or(std::vector<std::string>{});
        start.argv.insert(start.argv.end(), cmd.begin(), cmd.end());
    }
    if (start.argv.empty() || start.argv.front().empty())
        return fail(ErrorKind::usage, "{} has neither Entrypoint nor Cmd: give the program to run (uk build --from-image "
                                      "{} /path/in/image)",
                    image.reference.to_string(), image.reference.to_string());
    auto path = std::find_if(start.env.begin(), start.env.end(), [](const auto& e) { return e.first == "PATH"; });
    auto program = find_program(tree, start.argv.front(), start.working_dir,
                                path != start.env.end() ? path->second : default_path, image.reference.to_string());
    if (!program)
        return fail(program.error());
    if (auto checked = check_program(tree, *program, image.reference.to_string()); !checked)
        return fail(checked.error());
    start.program = *program;
    return start;
}

std::string image_record(const oci::PulledImage& image)
{
    const auto& config = image.config;
    nlohmann::json record{{"reference", image.reference.to_string()},
                          {"manifest_digest", image.manifest_digest.to_string()},
                          {"layers", image.manifest.layers.size()},
                          {"compressed_bytes", image.compressed_bytes},
                          {"exposed_ports", config.exposed_ports},
                          {"working_dir", config.working_dir},
                          {"user", config.user}};
    if (config.entrypoint)
        record["entrypoint"] = *config.entrypoint;
    if (config.cmd)
        record["cmd"] = *config.cmd;
    return record.dump(2) + "\n";
}

Result<PreparedBuild> prepare_image_build(const oci::PulledImage& image, config::Settings settings,
                                          KernelChoice kernel, const std::filesystem::path& output,
                                          const state::ImageStore& store, const state::Paths& paths)
{
    auto scratch = oci::ScratchFolder::make(paths.cache, "root");
    if (!scratch)
        return fail(scratch.error());
    auto staging = std::make_shared<oci::ScratchFolder>(std::move(*scratch));
    oci::RootFs root(staging->path());
    for (std::size_t i = 0; i < image.layers.size(); i++) {
        auto what = fmt::format("{} layer {} ({})", image.reference.to_string(), i + 1,
                                image.manifest.layers[i].digest.to_string());
        if (auto applied = root.apply_layer(image.layers[i], what, [] { return stop_requested(); }); !applied)
            return fail(applied.error());
    }
    if (root.skipped())
        log::detail(fmt::format("{} device nodes, FIFOs or sockets in the layers were left out: the guest's /dev is "
                                "the kernel's own",
                                root.skipped()));
    auto start = image_start(image, root.tree(), settings);
    if (!start)
        return fail(start.error());
    image::PreparedRoot prepared{.tree = std::move(root.tree()),
                                 .program = start->program,
                                 .argv = start->argv,
                                 .working_dir = start->working_dir,
                                 .uid = start->uid,
                                 .gid = start->gid,
                                 .image_record = image_record(image)};
    auto request = make_root_build_request(settings, kernel, output, store, std::move(prepared),
                                           short_name(image.reference));
    if (!request)
        return fail(request.error());
    request->env = start->env;
    return PreparedBuild{std::move(settings), std::move(kernel), std::move(*request), staging};
}

} // namespace uk::app
