#include "cli/image_options.hpp"

#include "core/signals.hpp"
#include "guest/embedded.hpp"

namespace uk::cli {

void ImageOptions::declare(CLI::App& command)
{
    command.add_option("-n,--name", name, "Image name (default: the program's file name)");
    command.add_option("-a,--arg", args, "An argument for the program (repeat for more)")->allow_extra_args(false);
    command.add_option("-e,--env", env, "KEY=VALUE for the program's environment; KEY alone passes uk's own")
        ->allow_extra_args(false);
    command.add_option("--compression", compression,
                       "How the root stores file data: zstd (smallest), lz4 or none (fastest to read)")
        ->check(CLI::IsMember({"zstd", "lz4", "none"}));
}

Result<std::vector<std::pair<std::string, std::string>>> parse_env(const std::vector<std::string>& specs,
                                                                    const state::Environment& environment)
{
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& spec : specs) {
        auto equals = spec.find('=');
        auto key = spec.substr(0, equals);
        if (key.empty())
            return fail(ErrorKind::usage, "-e {}: the variable name is missing; expected KEY=VALUE", spec);
        std::string value;
        if (equals != std::string::npos) {
            value = spec.substr(equals + 1);
        } else if (auto host = environment(key)) {
            value = *host;
        } else {
            return fail(ErrorKind::usage, "-e {}: {} is not set in your environment; give -e {}=VALUE", spec, key, key);
        }
        auto existing = std::find_if(out.begin(), out.end(), [&](const auto& pair) { return pair.first == key; });
        if (existing != out.end())
            existing->second = value; // the last one wins, as in a shell
        else
            out.emplace_back(key, value);
    }
    return out;
}

Result<image::BuildRequest> make_build_request(const std::string& program, const ImageOptions& options,
                                               const std::string& output, const state::Environment& environment)
{
    image::BuildRequest request;
    request.program = program;
    request.name = options.name.empty() ? image::default_image_name(program) : options.name;
    if (auto valid = image::check_image_name(request.name); !valid)
        return fail(valid.error());
    request.args = options.args;
    auto env = parse_env(options.env, environment);
    if (!env)
        return fail(env.error());
    request.env = std::move(*env);
    auto compression = image::parse_compression(options.compression);
    if (!compression)
        return fail(compression.error());
    request.compression = *compression;
    request.cancelled = [] { return stop_requested(); };
    request.kernel = guest::kernel_image();
    request.init = guest::init_program();
    if (!output.empty()) {
        request.output = output;
    } else {
        auto paths = state::resolve_paths(environment);
        if (!paths)
            return fail(paths.error());
        if (auto made = state::ensure_directory(paths->images); !made)
            return fail(made.error());
        request.output = paths->images / (request.name + ".img");
    }
    return request;
}

} // namespace uk::cli
