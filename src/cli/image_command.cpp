// uk image create|pull|push|list|inspect|rm: images for clouds and other hypervisors
// (image_create_command.cpp), registries (image_registry_command.cpp), and the image store.
#include "cli/command.hpp"
#include "cli/json_output.hpp"
#include "cli/image_commands.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"
#include "core/units.hpp"
#include "image/inspect.hpp"
#include "state/image_store.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

namespace uk::cli {
namespace {

struct StoreOptions {
    bool json = false;
    std::vector<std::string> names;
};

Result<state::ImageStore> image_store(const Context& context)
{
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    return state::ImageStore(paths->images);
}

Result<int> list(const StoreOptions& options, const Context& context)
{
    auto store = image_store(context);
    if (!store)
        return fail(store.error());
    auto images = store->list();
    if (!images)
        return fail(images.error());
    if (options.json) {
        auto out = nlohmann::json::array();
        for (const auto& image : *images)
            out.push_back({{"name", image.name},
                           {"path", image.file.string()},
                           {"size_bytes", image.size_bytes},
                           {"modified", format_utc(image.modified)}});
        log::result(json_text(out));
        return exit_success;
    }
    if (log::quiet()) { // names only, for scripts and shell completion
        for (const auto& image : *images)
            log::result(image.name);
        return exit_success;
    }
    std::size_t width = 4;
    for (const auto& image : *images)
        width = std::max(width, image.name.size());
    log::result(fmt::format("{:<{}}  {:>9}  {}", "NAME", width, "SIZE", "MODIFIED"));
    for (const auto& image : *images)
        log::result(fmt::format("{:<{}}  {:>9}  {}", image.name, width, human_bytes(image.size_bytes),
                                format_utc(image.modified)));
    return exit_success;
}

struct InspectOptions {
    std::string image;
    bool json = false;
};

Result<int> inspect(const InspectOptions& options, const Context& context)
{
    auto store = image_store(context);
    if (!store)
        return fail(store.error());
    auto file = store->resolve(options.image);
    if (!file)
        return fail(file.error());
    auto info = image::inspect_image(*file);
    if (!info)
        return fail(info.error());
    if (options.json) {
        log::result(json_text(image::to_json(*info)));
        return exit_success;
    }
    auto json = image::to_json(*info);
    log::result(fmt::format("image      {}", info->file.string()));
    log::result(fmt::format("size       {} ({} on disk), raw; boots through firmware: {}", human_bytes(info->size_bytes),
                             human_bytes(info->allocated_bytes),
                             !info->firmware_bootable           ? "no (uk run boots it directly)"
                             : info->arch == uk::Arch::arm64 ? "yes (UEFI)"
                                                             : "yes (BIOS and UEFI)"));
    log::result(fmt::format("arch       {}", to_string(info->arch)));
    log::result(fmt::format("kernel     Linux {}", info->kernel_version.empty() ? "(unknown)" : info->kernel_version));
    if (info->file_system == "erofs")
        log::result(fmt::format("root       {} (uncompressed EROFS, read in place), PARTUUID {}",
                                 human_bytes(info->root_bytes), info->root_partuuid));
    else
        log::result(fmt::format("root       {} ({} SquashFS, {} KiB blocks), PARTUUID {}", human_bytes(info->root_bytes),
                                 info->compression, info->block_size / 1024, info->root_partuuid));
    log::result(fmt::format("program    {}", json["program"].get<std::string>()));
    std::string args;
    for (const auto& arg : json["args"])
        args += (args.empty() ? "" : " ") + arg.get<std::string>();
    log::result(fmt::format("args       {}", args.empty() ? "-" : args));
    std::string env;
    for (const auto& [key, value] : json["env"].items())
        env += (env.empty() ? "" : " ") + key + "=" + value.get<std::string>();
    log::result(fmt::format("env        {}", env.empty() ? "-" : env));
    if (info->from_image.is_object()) {
        const auto& from = info->from_image;
        log::result(fmt::format("from       {} ({})", from.value("reference", ""), from.value("manifest_digest", "")));
        std::string ports;
        for (const auto& port : from.value("exposed_ports", nlohmann::json::array()))
            if (port.is_string())
                ports += (ports.empty() ? "" : " ") + port.get<std::string>();
        log::result(fmt::format("ports      {}", ports.empty() ? "- (the image exposes none)"
                                                               : ports + " (exposed by the image; uk run -p publishes)"));
        auto user = info->manifest.contains("uid") ? fmt::format("{}:{}", info->manifest.value("uid", 0),
                                                                info->manifest.value("gid", 0))
                                                   : std::string("0:0");
        log::result(fmt::format("runs as    {} in {}", user, info->manifest.value("cwd", "/")));
    }
    std::size_t file_count = 0;
    std::uint64_t total = 0;
    std::size_t width = 0;
    for (const auto& e : info->entries)
        if (e.type != 'd') {
            file_count++;
            total += e.size;
            width = std::max(width, e.path.size());
        }
    log::result(fmt::format("files      {} ({} before compression):", file_count, human_bytes(total)));
    for (const auto& e : info->entries) {
        if (e.type == 'd')
            continue;
        log::result(e.type == 'l' ? fmt::format("  {:<{}}  -> {}", e.path, width, e.link_target)
                                   : fmt::format("  {:<{}}  {:>9}  {:04o}", e.path, width, human_bytes(e.size), e.mode));
    }
    return exit_success;
}

Result<int> remove(const StoreOptions& options, const Context& context)
{
    auto store = image_store(context);
    if (!store)
        return fail(store.error());
    if (auto removed = store->remove(options.names); !removed)
        return fail(removed.error());
    for (const auto& name : options.names)
        log::result(name);
    return exit_success;
}

} // namespace

Action declare_image(CLI::App& command, const Context& context)
{
    command.require_subcommand(1);
    std::function<Result<int>()> create;
    auto* create_command = declare_image_create(command, context, create);
    std::function<Result<int>()> pull;
    auto* pull_command = declare_image_pull(command, context, pull);
    std::function<Result<int>()> push;
    auto* push_command = declare_image_push(command, context, push);

    auto list_options = std::make_shared<StoreOptions>();
    auto* list_command = command.add_subcommand("list", "List the images in the image store");
    list_command->alias("ls");
    list_command->add_flag("--json", list_options->json, "Print them as a JSON array (docs/json.md)");
    list_command->footer("With -q, only the names, one a line.");

    auto inspect_options = std::make_shared<InspectOptions>();
    auto* inspect_command =
        command.add_subcommand("inspect", "Show what an image holds: kernel, root, program, args, env, files");
    inspect_command->add_option("IMAGE", inspect_options->image, "An image name in the store, or an image file")
        ->type_name("")
        ->required();
    inspect_command->add_flag("--json", inspect_options->json, "Print it as JSON (docs/json.md)");

    auto remove_options = std::make_shared<StoreOptions>();
    auto* remove_command = command.add_subcommand("rm", "Remove images from the image store");
    remove_command->add_option("IMAGE", remove_options->names, "The images, by name")->type_name("")->required();

    return [=, &context, &command]() -> Result<int> {
        if (create_command->parsed())
            return create();
        if (pull_command->parsed())
            return pull();
        if (push_command->parsed())
            return push();
        if (list_command->parsed())
            return list(*list_options, context);
        if (remove_command->parsed())
            return remove(*remove_options, context);
        if (inspect_command->parsed())
            return inspect(*inspect_options, context);
        return fail(ErrorKind::usage, "{} needs a subcommand: create, pull, push, list, inspect or rm", command.get_name());
    };
}

} // namespace uk::cli
