// uk build [PROGRAM]: make an image from a program (or the config's Program).
#include "app/build.hpp"
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

Result<int> build(const BuildOptions& options, const Context& context)
{
    auto started = std::chrono::steady_clock::now();
    auto prepared = options.image.prepare(options.program, options.output, context.environment);
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
    if (!built->has_ca_bundle)
        log::warning(fmt::format("no CA certificates at {}: TLS clients in the image cannot verify servers "
                                  "(install ca-certificates)",
                                  request->ca_bundle.string()));
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (options.json) {
        log::result(json_text(nlohmann::json{{"image", built->disk.path.string()},
                                    {"size_bytes", built->disk.size_bytes},
                                    {"allocated_bytes", built->disk.allocated_bytes},
                                    {"root_bytes", built->disk.root_bytes},
                                    {"compression", settings::to_string(built->compression)},
                                    {"sha256", built->disk.sha256},
                                    {"seconds", seconds}}
                         ));
    } else if (log::quiet()) {
        log::result(built->disk.path.string());
    } else {
        log::result(fmt::format("built {} in {:.2f} s", built->disk.path.string(), seconds));
        log::result(fmt::format("  {} ({} on disk): root {} ({} SquashFS), boot partition with the kernel",
                                 human_bytes(built->disk.size_bytes), human_bytes(built->disk.allocated_bytes),
                                 human_bytes(built->disk.root_bytes), settings::to_string(built->compression)));
    }
    return exit_success;
}

} // namespace

Action declare_build(CLI::App& command, const Context& context)
{
    auto options = std::make_shared<BuildOptions>();
    command.add_option("PROGRAM", options->program,
                       "The x86-64 Linux program to pack (default: Program from the config file)")
        ->type_name("");
    command.add_option("-o,--output", options->output, "Write the image here instead of the image store")->type_name("FILE");
    command.add_flag("-l,--list", options->list, "List what would go into the image, and write nothing");
    command.add_flag("--json", options->json, "Print the result as JSON (docs/json.md)");
    options->image.declare(command);
    command.footer("Examples:\n"
                   "  uk build ./server                      # -> image \"server\" in the image store\n"
                   "  uk build ./server -o server.img -a -port -a 8080 -e GOGC=50\n"
                   "  uk build -c node.json --list           # what goes in: program, libraries, files\n"
                   "  uk build ./server --compression lz4    # bigger image, faster to read in the VM");
    return [options, &context] { return build(*options, context); };
}

} // namespace uk::cli
