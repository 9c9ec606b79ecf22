// uk build [PROGRAM]: make an image from a program (or the config's Program).
#include "app/build.hpp"
#include "app/from_image.hpp"
#include "cli/layer_progress.hpp"
#include "cli/command.hpp"
#include "cli/json_output.hpp"
#include "cli/image_options.hpp"
#include "core/log.hpp"
#include "core/exit_status.hpp"
#include "core/units.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <memory>

namespace uk::cli {
namespace {

struct BuildOptions {
    std::string program;
    std::string from_image;
    bool tls_verify = true;
    std::string output;
    bool list = false;
    bool json = false;
    ImageOptions image;
};

void print_listing_json(const image::ImagePlan& plan)
{
    nlohmann::json files = nlohmann::json::array();
    std::uint64_t total = 0;
    for (const auto& entry : plan.listing) {
        total += entry.size;
        files.push_back({{"path", entry.guest}, {"size_bytes", entry.size}, {"source", entry.source}, {"why", entry.why}});
    }
    log::result(json_text(nlohmann::json{{"files", files}, {"total_bytes", total}}));
}

void print_listing(const image::ImagePlan& plan)
{
    std::size_t width = 0;
    for (const auto& entry : plan.listing)
        width = std::max(width, entry.guest.size());
    std::uint64_t total = 0;
    for (const auto& entry : plan.listing) {
        total += entry.size;
        // Host files say where they come from and why; what uk writes says "uk", or what
        // it is when that says more (a symlink's target).
        auto from = entry.source != "uk" ? fmt::format("{} ({})", entry.source, entry.why)
                    : entry.why == "uk"  ? std::string("uk")
                                         : "uk: " + entry.why;
        log::result(fmt::format("{:<{}}  {:>9}  {}", entry.guest, width, human_bytes(entry.size), from));
    }
    log::result(fmt::format("{} files, {} before compression", plan.listing.size(), human_bytes(total)));
}

// An OCI or Docker image's root, with the image's config for how to start it.
Result<app::PreparedBuild> prepare_from_image(const BuildOptions& options, const Context& context,
                                              std::optional<oci::PulledImage>& pulled)
{
    auto flags = options.image.overrides(context.environment);
    if (!flags)
        return fail(flags.error());
    if (flags->sysroot)
        return fail(ErrorKind::usage, "--sysroot goes with a program from this machine: {} brings its own libraries",
                    options.from_image);
    if (!options.program.empty())
        flags->program = options.program;
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    auto settings = app::load_settings(options.image.config(), *flags);
    if (!settings)
        return fail(settings.error());
    auto kernel = app::kernel_choice(*settings);
    if (!kernel)
        return fail(kernel.error());
    LayerProgress progress;
    auto image = app::pull({.reference = options.from_image,
                            .tls_verify = options.tls_verify,
                            .environment = context.environment,
                            .progress = &progress},
                           *paths);
    if (!image)
        return fail(image.error());
    pulled = *image;
    return app::prepare_image_build(*image, std::move(*settings), std::move(*kernel), options.output,
                                    state::ImageStore(paths->images), *paths);
}

nlohmann::json pulled_json(const oci::PulledImage& image)
{
    auto layers = nlohmann::json::array();
    for (const auto& layer : image.manifest.layers)
        layers.push_back({{"digest", layer.digest.to_string()}, {"size_bytes", layer.size}, {"media_type", layer.media_type}});
    return {{"reference", image.reference.to_string()},
            {"digest", image.manifest_digest.to_string()},
            {"compressed_bytes", image.compressed_bytes},
            {"layers", layers}};
}

Result<int> build(const BuildOptions& options, const Context& context)
{
    auto started = std::chrono::steady_clock::now();
    std::optional<oci::PulledImage> pulled;
    auto prepared = options.from_image.empty()
                        ? options.image.prepare(options.program, options.output, context.environment)
                        : prepare_from_image(options, context, pulled);
    if (!prepared)
        return fail(prepared.error());
    auto* request = &prepared->request;
    if (options.list) {
        auto plan = image::plan_image(*request);
        if (!plan)
            return fail(plan.error());
        options.json ? print_listing_json(*plan) : print_listing(*plan);
        return exit_success;
    }
    auto built = app::build_image(*request);
    if (!built)
        return fail(built.error());
    if (!built->has_ca_bundle && !request->root)
        log::warning(fmt::format("no CA certificates at {}: TLS clients in the image cannot verify servers "
                                  "(install ca-certificates)",
                                  request->ca_bundle.string()));
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (options.json) {
        nlohmann::json result{{"image", built->disk.path.string()},
                                    {"size_bytes", built->disk.size_bytes},
                                    {"allocated_bytes", built->disk.allocated_bytes},
                                    {"root_bytes", built->disk.root_bytes},
                                    {"compression", settings::to_string(built->compression)},
                                    {"file_system", settings::to_string(built->root_fs)},
                                    {"sha256", built->disk.sha256},
                                    {"seconds", seconds}};
        if (pulled)
            result["from_image"] = pulled_json(*pulled);
        log::result(json_text(result));
    } else if (log::quiet()) {
        log::result(built->disk.path.string());
    } else {
        log::result(fmt::format("built {} in {:.2f} s", built->disk.path.string(), seconds));
        auto root_kind = built->root_fs == settings::RootFs::erofs
                        ? std::string("uncompressed EROFS, read in place")
                        : settings::to_string(built->compression) + " SquashFS";
        log::result(fmt::format("  {} ({} on disk): root {} ({}), boot partition with the kernel",
                                 human_bytes(built->disk.size_bytes), human_bytes(built->disk.allocated_bytes),
                                 human_bytes(built->disk.root_bytes), root_kind));
        if (pulled) {
            const auto& root = *request->root;
            std::string argv;
            for (const auto& word : root.argv)
                argv += (argv.empty() ? "" : " ") + word;
            log::result(fmt::format("  from {} ({}, {} layer{}); runs {} in {} as {}:{}", pulled->reference.to_string(),
                                    pulled->manifest_digest.to_string().substr(0, 19), pulled->manifest.layers.size(),
                                    pulled->manifest.layers.size() == 1 ? "" : "s",
                                    argv, root.working_dir, root.uid, root.gid));
            if (!pulled->config.exposed_ports.empty()) {
                std::string ports;
                for (const auto& port : pulled->config.exposed_ports)
                    ports += (ports.empty() ? "" : ", ") + port;
                log::result(fmt::format("  the image exposes {}: publish with uk run -p", ports));
            }
        }
    }
    return exit_success;
}

} // namespace

Action declare_build(CLI::App& command, const Context& context)
{
    auto options = std::make_shared<BuildOptions>();
    command.add_option("PROGRAM", options->program,
                       "The x86-64 or arm64 Linux program to pack (default: Program from the config file); with --from-image, "
                       "the image's program to run instead of its Entrypoint")
        ->type_name("");
    command.add_option("--from-image", options->from_image,
                       "Build from an OCI or Docker image: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE "
                       "or docker://[HOST/]NAME[:TAG|@DIGEST] (docs/oci.md)")
        ->type_name("REF");
    command.add_option("--tls-verify", options->tls_verify,
                       "With a docker:// registry: false sends HTTPS without checking its certificate, or plain HTTP "
                       "(default true)")
        ->type_name("true|false");
    command.add_option("-o,--output", options->output, "Write the image here instead of the image store")->type_name("FILE");
    command.add_flag("-l,--list", options->list, "List what would go into the image, and write nothing");
    command.add_flag("--json", options->json, "Print the result as JSON (docs/json.md)");
    options->image.declare(command);
    command.footer("Examples:\n"
                   "  uk build ./server                      # -> image \"server\" in the image store\n"
                   "  uk build ./server -o server.img -a -port -a 8080 -e GOGC=50\n"
                   "  uk build -c node.json --list           # what goes in: program, libraries, files\n"
                   "  uk build ./server --compression lz4    # bigger image, faster to read in the VM\n"
                   "  uk build --from-image docker://localhost:5000/web:1.2 --tls-verify=false\n"
                   "  uk build --from-image oci:./layout:v1 -a -port -a 9090   # -a replaces the image's Cmd");
    return [options, &context] { return build(*options, context); };
}

} // namespace uk::cli
