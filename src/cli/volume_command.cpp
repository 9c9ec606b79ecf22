// uk volume create|list|inspect|rm|resize: named volumes, the data that outlives a VM
// (uk run -v NAME:/path mounts one). What they are: volume/store.hpp; who uses them:
// app/volumes.hpp.
#include "app/volumes.hpp"
#include "cli/command.hpp"
#include "cli/json_output.hpp"
#include "cli/table.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/units.hpp"
#include "instance/store.hpp"
#include "volume/store.hpp"

#include <array>
#include <memory>
#include <nlohmann/json.hpp>

namespace uk::cli {
namespace {

struct Stores {
    volume::Store volumes;
    instance::Store instances;
};

Result<Stores> stores(const Context& context)
{
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    return Stores{volume::Store(paths->volumes), instance::Store(paths->instances)};
}

bool cancelled() { return stop_requested(); }

nlohmann::json volume_json(const volume::Volume& v, const std::vector<app::VolumeUser>& users)
{
    auto mounted_by = nlohmann::json::array();
    auto instances = nlohmann::json::array();
    for (const auto& user : users) {
        if (user.running)
            mounted_by.push_back(user.instance);
        instances.push_back({{"name", user.instance}, {"read_only", user.read_only}, {"running", user.running}});
    }
    return {{"name", v.name},           {"size_bytes", v.size_bytes}, {"used_bytes", v.used_bytes},
            {"created", v.created},     {"clean", v.clean},           {"file", v.file.string()},
            {"mounted_by", mounted_by}, {"instances", instances}};
}

std::string mounted_by(const std::vector<app::VolumeUser>& users)
{
    std::string names;
    for (const auto& user : users)
        if (user.running)
            names += (names.empty() ? "" : ",") + user.instance + (user.read_only ? " (ro)" : "");
    return names.empty() ? "-" : names;
}

Result<std::uint64_t> size_flag(const char* flag, const std::string& text)
{
    auto size = flag_value(flag, settings::parse_memory_size(text));
    if (!size)
        return fail(size.error());
    return size->mib << 20;
}

struct CreateOptions {
    std::string name;
    std::string size = "1G";
    std::string from;
};

Result<int> create(const CreateOptions& options, const Context& context)
{
    auto size = size_flag("--size", options.size);
    if (!size)
        return fail(size.error());
    auto found = stores(context);
    if (!found)
        return fail(found.error());
    std::optional<std::filesystem::path> from;
    if (!options.from.empty())
        from = options.from;
    auto made = found->volumes.create(options.name, *size, from, cancelled);
    if (!made)
        return fail(made.error());
    log::result(made->name);
    return exit_success;
}

struct ListOptions {
    bool json = false;
};

Result<int> list(const ListOptions& options, const Context& context)
{
    auto found = stores(context);
    if (!found)
        return fail(found.error());
    auto volumes = found->volumes.list();
    if (!volumes)
        return fail(volumes.error());
    if (options.json) {
        auto out = nlohmann::json::array();
        for (const auto& v : *volumes)
            out.push_back(volume_json(v, app::users_of(found->instances, v.name)));
        log::result(json_text(out));
        return exit_success;
    }
    if (log::quiet()) { // names only, for scripts and shell completion
        for (const auto& v : *volumes)
            log::result(v.name);
        return exit_success;
    }
    std::vector<std::vector<std::string>> rows{{"NAME", "SIZE", "USED", "CREATED", "MOUNTED BY"}};
    for (const auto& v : *volumes)
        rows.push_back({v.name, binary_size(v.size_bytes), binary_size(v.used_bytes), v.created,
                        mounted_by(app::users_of(found->instances, v.name))});
    print_table(rows);
    return exit_success;
}

struct NameOptions {
    std::string name;
};

Result<int> inspect(const NameOptions& options, const Context& context)
{
    auto found = stores(context);
    if (!found)
        return fail(found.error());
    auto v = found->volumes.inspect(options.name);
    if (!v)
        return fail(v.error());
    log::result(json_text(volume_json(*v, app::users_of(found->instances, v->name))));
    return exit_success;
}

struct RemoveOptions {
    std::vector<std::string> names;
    bool force = false;
};

Result<int> remove(const RemoveOptions& options, const Context& context)
{
    auto found = stores(context);
    if (!found)
        return fail(found.error());
    // Every name is checked before any volume goes.
    for (const auto& name : options.names)
        if (auto v = found->volumes.inspect(name); !v)
            return fail(v.error());
    for (const auto& name : options.names) {
        if (auto removed = app::remove_volume(found->volumes, found->instances, name, options.force); !removed)
            return fail(removed.error());
        log::result(name);
    }
    return exit_success;
}

struct ResizeOptions {
    std::string name;
    std::string size;
};

Result<int> resize(const ResizeOptions& options, const Context& context)
{
    auto size = size_flag("SIZE", options.size);
    if (!size)
        return fail(size.error());
    auto found = stores(context);
    if (!found)
        return fail(found.error());
    auto grown = app::grow_volume(found->volumes, found->instances, options.name, *size, cancelled);
    if (!grown)
        return fail(grown.error());
    log::result(fmt::format("{} {}", grown->name, binary_size(grown->size_bytes)));
    return exit_success;
}

} // namespace

Action declare_volume(CLI::App& command, const Context& context)
{
    command.require_subcommand(1);
    auto create_options = std::make_shared<CreateOptions>();
    auto* create_command = command.add_subcommand("create", "Make a volume: an ext4 file system in a sparse file");
    create_command->add_option("NAME", create_options->name, "The volume's name")->type_name("")->required();
    create_command->add_option("--size", create_options->size, "Its size, e.g. 512M or 10G (default 1G)")
        ->type_name("SIZE");
    create_command->add_option("--from", create_options->from, "Fill it with a host folder's files")->type_name("DIR");

    auto list_options = std::make_shared<ListOptions>();
    auto* list_command = command.add_subcommand("list", "List volumes, their sizes and which instance has each");
    list_command->alias("ls");
    list_command->add_flag("--json", list_options->json, "Print them as a JSON array (docs/json.md)");
    list_command->footer("USED is what a volume's file takes on the host's disk. With -q, only the names.");

    auto inspect_options = std::make_shared<NameOptions>();
    auto* inspect_command = command.add_subcommand("inspect", "Print a volume as JSON (docs/json.md)");
    inspect_command->add_option("VOLUME", inspect_options->name, "The volume")->type_name("")->required();

    auto remove_options = std::make_shared<RemoveOptions>();
    auto* remove_command = command.add_subcommand("rm", "Remove volumes and their data (never one a VM has)");
    remove_command->add_option("VOLUME", remove_options->names, "The volumes")->type_name("")->required();
    remove_command->add_flag("-f,--force", remove_options->force,
                             "Also when a stopped instance was using it (never while one runs)");

    auto resize_options = std::make_shared<ResizeOptions>();
    auto* resize_command = command.add_subcommand("resize", "Grow a volume no VM has (volumes only grow)");
    resize_command->add_option("VOLUME", resize_options->name, "The volume")->type_name("")->required();
    resize_command->add_option("SIZE", resize_options->size, "Its new size, e.g. 10G")->type_name("")->required();

    command.footer("Examples:\n"
                   "  uk volume create data --size 5G\n"
                   "  uk run server -v data:/var/lib/app -p 8080   # made with 1G when missing\n"
                   "  uk volume create site --from ./public && uk run server -v site:/srv:ro\n"
                   "  uk volume resize data 10G");
    return [=, &context, &command]() -> Result<int> {
        if (create_command->parsed())
            return create(*create_options, context);
        if (list_command->parsed())
            return list(*list_options, context);
        if (inspect_command->parsed())
            return inspect(*inspect_options, context);
        if (remove_command->parsed())
            return remove(*remove_options, context);
        if (resize_command->parsed())
            return resize(*resize_options, context);
        return fail(ErrorKind::usage, "{} needs a subcommand: create, list, inspect, rm or resize", command.get_name());
    };
}

} // namespace uk::cli
