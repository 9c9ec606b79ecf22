// uk image pull|push: OCI and Docker images in, uk images out to registries as KubeVirt
// containerDisks (docs/oci.md, docs/kubernetes.md).
#include "app/from_image.hpp"
#include "cli/command.hpp"
#include "cli/image_commands.hpp"
#include "cli/json_output.hpp"
#include "cli/layer_progress.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/units.hpp"
#include "image/disk.hpp"
#include "image/export.hpp"
#include "image/firmware.hpp"
#include "oci/push.hpp"
#include "oci/scratch.hpp"
#include "state/image_store.hpp"

#include <chrono>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

namespace uk::cli {
namespace {

struct PullOptions {
    std::string reference;
    std::string name;
    bool tls_verify = true;
    bool json = false;
};

struct PushOptions {
    std::string image;
    std::string reference;
    std::string format = "qcow2";
    bool tls_verify = true;
    bool json = false;
};

nlohmann::json layers_json(const std::vector<oci::Descriptor>& layers)
{
    auto out = nlohmann::json::array();
    for (const auto& layer : layers)
        out.push_back({{"digest", layer.digest.to_string()}, {"size_bytes", layer.size}, {"media_type", layer.media_type}});
    return out;
}

Result<int> pull(const PullOptions& options, const Context& context)
{
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    LayerProgress progress;
    auto image = app::pull({.reference = options.reference,
                            .tls_verify = options.tls_verify,
                            .environment = context.environment,
                            .progress = &progress},
                           *paths);
    if (!image)
        return fail(image.error());
    auto name = options.name.empty() ? image::default_image_name(image->reference.short_name()) : options.name;
    auto disk = app::install_container_disk(*image, name, state::ImageStore(paths->images), *paths);
    if (!disk)
        return fail(disk.error());
    if (options.json) {
        nlohmann::json result{{"reference", image->reference.to_string()},
                              {"digest", image->manifest_digest.to_string()},
                              {"compressed_bytes", image->compressed_bytes},
                              {"layers", layers_json(image->manifest.layers)},
                              {"image", *disk ? nlohmann::json((*disk)->string()) : nlohmann::json(nullptr)}};
        log::result(json_text(result));
    } else if (log::quiet()) {
        log::result(*disk ? name : image->manifest_digest.to_string());
    } else if (*disk) {
        log::result(fmt::format("pulled {} ({}): a uk image, now {} in the image store", image->reference.to_string(),
                                image->manifest_digest.to_string(), name));
    } else {
        log::result(fmt::format("pulled {} ({}): {} layer{}, {}", image->reference.to_string(),
                                image->manifest_digest.to_string(), image->manifest.layers.size(),
                                image->manifest.layers.size() == 1 ? "" : "s",
                                human_bytes(image->compressed_bytes)));
        if (image->reference.transport == oci::Transport::registry)
            log::result(fmt::format("  its blobs are in uk's cache: uk build --from-image {} reads them from there",
                                    image->reference.to_string()));
    }
    return exit_success;
}

std::string utc_now()
{
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

Result<int> push(const PushOptions& options, const Context& context)
{
    auto reference = oci::parse_reference(options.reference);
    if (!reference)
        return fail(reference.error());
    if (reference->transport != oci::Transport::registry)
        return fail(ErrorKind::usage, "{}: uk image push sends images to a registry: give docker://HOST/REPO:TAG",
                    options.reference);
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    auto file = state::ImageStore(paths->images).resolve(options.image);
    if (!file)
        return fail(file.error());
    if (!image::root_partuuid_of(*file))
        return fail(ErrorKind::invalid_input, "{} is not a uk image (uk build or uk image create -t raw writes one)",
                    file->string());
    auto tools = image::find_firmware_tools();
    if (!tools)
        return fail(tools.error());
    auto scratch = oci::ScratchFolder::make(paths->cache, "disk");
    if (!scratch)
        return fail(scratch.error());
    // KubeVirt boots a containerDisk through firmware, as uk image create's images boot.
    auto raw = scratch->path() / "disk.img";
    if (auto copied = image::import_disk(*file, "raw", raw, [] { return stop_requested(); }); !copied)
        return fail(copied.error());
    if (!image::has_boot_loader(raw))
        if (auto bootable = image::make_firmware_bootable(raw, *tools); !bootable)
            return fail(bootable.error());
    auto disk = raw;
    std::string disk_name = "disk.img";
    if (options.format == "qcow2") {
        disk = scratch->path() / "disk.qcow2";
        disk_name = "disk.qcow2";
        if (auto exported = image::export_image(raw, image::Target::qcow2, disk, [] { return stop_requested(); });
            !exported)
            return fail(exported.error());
    }
    oci::SourceOptions source{.cache = paths->cache,
                              .registry = {.tls_verify = options.tls_verify,
                                           .environment = context.environment,
                                           .cancelled = [] { return stop_requested(); }}};
    auto pushed = oci::push_container_disk(disk, disk_name, *reference, source, utc_now(),
                                           progress_bar("pushing", disk_name));
    if (!pushed)
        return fail(pushed.error());
    if (options.json) {
        log::result(json_text(nlohmann::json{{"reference", reference->to_string()},
                                             {"digest", pushed->manifest_digest.to_string()},
                                             {"format", options.format},
                                             {"size_bytes", pushed->layer.size + pushed->config.size},
                                             {"layers", layers_json({pushed->layer})}}));
    } else if (log::quiet()) {
        log::result(pushed->manifest_digest.to_string());
    } else {
        log::result(fmt::format("pushed {} as {} ({}, {} layer{})", options.image, reference->to_string(),
                                pushed->manifest_digest.to_string(), human_bytes(pushed->layer.size),
                                pushed->layer_sent ? "" : ", which the registry had already"));
        log::result(fmt::format("  a KubeVirt containerDisk: /disk/{} boots through firmware (docs/kubernetes.md)",
                                disk_name));
    }
    return exit_success;
}

} // namespace

CLI::App* declare_image_pull(CLI::App& command, const Context& context, std::function<Result<int>()>& action)
{
    auto options = std::make_shared<PullOptions>();
    auto* pull_command =
        command.add_subcommand("pull", "Fetch an OCI or Docker image into uk's cache, or a pushed uk image into the store");
    pull_command
        ->add_option("REF", options->reference,
                     "oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE or docker://[HOST/]NAME[:TAG|@DIGEST]")
        ->type_name("")
        ->required();
    pull_command->add_option("-n,--name", options->name, "A pushed uk image's name in the store (default: the repository's)")
        ->type_name("NAME");
    pull_command->add_option("--tls-verify", options->tls_verify,
                             "false: HTTPS without checking the certificate, or plain HTTP (default true)")
        ->type_name("true|false");
    pull_command->add_flag("--json", options->json, "Print the result as JSON (docs/json.md)");
    pull_command->footer("Examples:\n"
                         "  uk image pull docker://localhost:5000/web:1.2 --tls-verify=false\n"
                         "  uk image pull docker://registry.example.com/team/server-disk:v3   # from uk image push");
    action = [options, &context] { return pull(*options, context); };
    return pull_command;
}

CLI::App* declare_image_push(CLI::App& command, const Context& context, std::function<Result<int>()>& action)
{
    auto options = std::make_shared<PushOptions>();
    auto* push_command =
        command.add_subcommand("push", "Push an image to a registry as a KubeVirt containerDisk");
    push_command->add_option("IMAGE", options->image, "An image name in the store, or an image file")
        ->type_name("")
        ->required();
    push_command->add_option("REF", options->reference, "docker://HOST[:PORT]/REPO[:TAG]")->type_name("")->required();
    push_command->add_option("--format", options->format, "The disk's format under /disk/: qcow2 (default) or raw")
        ->check(CLI::IsMember({"qcow2", "raw"}).description(""))
        ->type_name("qcow2|raw");
    push_command->add_option("--tls-verify", options->tls_verify,
                             "false: HTTPS without checking the certificate, or plain HTTP (default true)")
        ->type_name("true|false");
    push_command->add_flag("--json", options->json, "Print the result as JSON (docs/json.md)");
    push_command->footer("Examples:\n"
                         "  uk image push server docker://localhost:5000/server:1 --tls-verify=false\n"
                         "  uk run docker://localhost:5000/server:1 --tls-verify=false -p 8080   # pulls it back\n"
                         "Credentials come from $REGISTRY_AUTH_FILE, ~/.config/containers/auth.json or "
                         "~/.docker/config.json.");
    action = [options, &context] { return push(*options, context); };
    return push_command;
}

} // namespace uk::cli
