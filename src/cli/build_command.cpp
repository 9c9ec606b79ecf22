// uk build PROGRAM: make an image from a program.
#include "cli/command.hpp"
#include "core/exit_status.hpp"
#include "cli/image_options.hpp"
#include "cli/terminal.hpp"
#include "core/units.hpp"

#include <chrono>
#include <memory>

namespace uk::cli {

Action declare_build(CLI::App& command, const Context& context)
{
    struct Options {
        std::string program;
        std::string output;
        bool quiet = false;
        ImageOptions image;
    };
    auto options = std::make_shared<Options>();
    command.add_option("PROGRAM", options->program, "The x86-64 Linux program to pack")->required();
    command.add_option("-o,--output", options->output, "Write the image here instead of the image store");
    command.add_flag("-q,--quiet", options->quiet, "Print only the image's path");
    options->image.declare(command);
    command.footer("Examples:\n"
                   "  uk build ./server                      # -> image \"server\" in the image store\n"
                   "  uk build ./server -o server.img -a -port -a 8080 -e GOGC=50\n"
                   "  uk build ./server --compression lz4    # bigger image, faster to read in the VM");

    return [options, &context]() -> Result<int> {
        auto started = std::chrono::steady_clock::now();
        auto request = make_build_request(options->program, options->image, options->output, context.environment);
        if (!request)
            return fail(request.error());
        auto built = image::build_image(*request);
        if (!built)
            return fail(built.error());
        if (!built->has_ca_bundle)
            print_warning(fmt::format("no CA certificates at {}: TLS clients in the image cannot verify servers "
                                      "(install ca-certificates)",
                                      request->ca_bundle.string()));
        auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (options->quiet) {
            print_result(built->disk.path.string());
        } else {
            print_result(fmt::format("built {} in {:.2f} s", built->disk.path.string(), seconds));
            print_result(fmt::format("  {} ({} on disk): root {} ({} SquashFS), boot partition with the kernel",
                                     human_bytes(built->disk.size_bytes), human_bytes(built->disk.allocated_bytes),
                                     human_bytes(built->disk.root_bytes), options->image.compression));
        }
        return exit_success;
    };
}

} // namespace uk::cli
