#include "cli/image_options.hpp"

#include "core/log.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "core/signals.hpp"
#include "core/units.hpp"
#include "guest/embedded.hpp"

#include <algorithm>

namespace uk::cli {

void ImageOptions::declare(CLI::App& command, NameFlag name_flag)
{
    config_option_ = command.add_option("-c,--config", config_file,
                                        "Config file (JSON, ops's config.json works too); default ./uk.json if present")
                         ->type_name("FILE");
    name_option_ = command.add_option(name_flag == NameFlag::name ? "-n,--name" : "--image-name", name,
                                      "Image name (default: the program's file name)")
                       ->type_name("NAME");
    args_option_ = command.add_option("-a,--arg", args, "An argument for the program (repeat for more; replaces Args)")
                       ->allow_extra_args(false)
                       ->type_name("ARG");
    env_option_ = command.add_option("-e,--env", env, "KEY=VALUE for the program's environment; KEY alone passes uk's own")
                      ->allow_extra_args(false)
                      ->type_name("KEY=VALUE");
    compression_option_ =
        command.add_option("--compression", compression,
                           "How the root stores file data: auto (default: zstd for small roots, lz4 for large), zstd "
                           "(smallest), lz4, or none (largest; the fastest to boot under emulation)")
            ->check(CLI::IsMember({"auto", "zstd", "lz4", "none"}).description(""))
            ->type_name("auto|zstd|lz4|none");
    sysroot_option_ = command.add_option("--sysroot", sysroot, "Take shared libraries from this root, not from this machine")
                          ->type_name("DIR");
    strip_option_ = command.add_flag("--strip", strip, "Strip debug information and symbols from ELF files as they are packed");
    kernel_option_ = command.add_option("--kernel", kernel, "Boot this kernel (bzImage or ELF) instead of uk's own")
                         ->type_name("FILE");
}

bool ImageOptions::shapes_image() const
{
    for (const auto* option : {name_option_, args_option_, env_option_, compression_option_, sysroot_option_,
                               strip_option_})
        if (option && option->count() > 0)
            return true;
    return false;
}

Result<config::Overrides> ImageOptions::overrides(const state::Environment& environment) const
{
    config::Overrides out;
    if (name_option_->count())
        out.name = name;
    if (args_option_->count())
        out.args = args;
    for (const auto& spec : env) {
        auto equals = spec.find('=');
        auto key = spec.substr(0, equals);
        if (key.empty())
            return fail(ErrorKind::usage, "-e {}: the variable name is missing; expected KEY=VALUE", spec);
        std::string value;
        if (equals != std::string::npos)
            value = spec.substr(equals + 1);
        else if (auto host = environment(key))
            value = *host;
        else
            return fail(ErrorKind::usage, "-e {}: {} is not set in your environment; give -e {}=VALUE", spec, key, key);
        auto existing = std::find_if(out.env.begin(), out.env.end(), [&](const auto& pair) { return pair.first == key; });
        if (existing != out.env.end())
            existing->second = value; // the last one wins, as in a shell
        else
            out.env.emplace_back(key, value);
    }
    if (compression_option_->count())
        out.compression = compression;
    if (sysroot_option_->count())
        out.sysroot = sysroot;
    if (strip_option_->count())
        out.strip = strip;
    if (kernel_option_->count())
        out.kernel = kernel;
    return out;
}

Result<config::Settings> load_settings(const ImageOptions& options, const config::Overrides& overrides)
{
    std::optional<std::filesystem::path> explicit_file;
    if (!options.config_file.empty())
        explicit_file = options.config_file;
    std::error_code ec;
    auto file = config::load_config(explicit_file, std::filesystem::current_path(ec));
    if (!file)
        return fail(file.error());
    if (*file)
        for (const auto& warning : (*file)->warnings)
            log::warning(warning);
    return config::merge(*file, overrides);
}

Result<KernelChoice> kernel_choice(const config::Settings& settings)
{
    if (!settings.kernel)
        return KernelChoice{};
    auto bytes = read_file(*settings.kernel);
    if (!bytes)
        return fail(bytes.error().kind, "kernel {}: {}", *settings.kernel, bytes.error().message);
    bool elf = bytes->starts_with("\177ELF");
    bool bzimage = bytes->size() > 0x206 && bytes->compare(0x202, 4, "HdrS") == 0;
    if (!elf && !bzimage)
        return fail(ErrorKind::invalid_input, "kernel {} is neither a bzImage nor an ELF kernel", *settings.kernel);
    return KernelChoice{*settings.kernel, std::make_shared<std::string>(std::move(*bytes))};
}

Result<std::filesystem::path> program_path(const config::Settings& settings)
{
    if (!settings.program)
        return fail(ErrorKind::usage,
                    "PROGRAM is required: give it (uk build PROGRAM) or set Program in ./uk.json or in the file "
                    "given with -c");
    const auto& program = *settings.program;
    if (program.find('/') != std::string::npos)
        return std::filesystem::path(program);
    // A bare name: a file in the folder it was given for, else a command, as ops reads it.
    std::error_code ec;
    auto here = (settings.program_dir / program).lexically_normal();
    if (std::filesystem::exists(here, ec))
        return here;
    if (auto found = find_in_path(program))
        return *found;
    return fail(ErrorKind::not_found, "program {} is neither a file in {} nor a command in PATH", program,
                settings.program_dir == "." ? "this folder" : settings.program_dir.string());
}

Result<image::BuildRequest> make_build_request(const config::Settings& settings, const KernelChoice& kernel,
                                               const std::string& output, const state::Environment& environment)
{
    auto program = program_path(settings);
    if (!program)
        return fail(program.error());
    image::BuildRequest request;
    request.program = *program;
    request.name = settings.name.value_or(image::default_image_name(*program));
    if (auto valid = image::check_image_name(request.name); !valid)
        return fail(valid.error());
    request.args = settings.args;
    request.env = settings.env;
    request.contents = {settings.base_dir, settings.files, settings.dirs, settings.map_dirs};
    request.sysroot = settings.sysroot;
    std::error_code ec;
    if (!std::filesystem::is_directory(request.sysroot, ec))
        return fail(ErrorKind::not_found, "sysroot {} is not a folder", settings.sysroot);
    request.name_servers = settings.name_servers;
    request.readonly_root = settings.readonly_root;
    if (settings.writable_root_size) {
        auto mib = parse_memory_mib(*settings.writable_root_size);
        if (!mib)
            return fail(mib.error());
        request.writable_root_mib = *mib;
    }
    request.strip = settings.strip;
    auto compression = image::parse_compression(settings.compression);
    if (!compression)
        return fail(compression.error());
    request.compression = *compression;
    request.cancelled = [] { return stop_requested(); };
    if (kernel.bytes)
        request.kernel = std::as_bytes(std::span(kernel.bytes->data(), kernel.bytes->size()));
    else
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

Result<PreparedBuild> prepare_build(const ImageOptions& options, const std::string& program, const std::string& output,
                                    const state::Environment& environment)
{
    auto overrides = options.overrides(environment);
    if (!overrides)
        return fail(overrides.error());
    if (!program.empty())
        overrides->program = program;
    auto settings = load_settings(options, *overrides);
    if (!settings)
        return fail(settings.error());
    auto kernel = kernel_choice(*settings);
    if (!kernel)
        return fail(kernel.error());
    auto request = make_build_request(*settings, *kernel, output, environment);
    if (!request)
        return fail(request.error());
    // The kernel's bytes live behind a shared pointer: moving the choice keeps the
    // request's span valid.
    return PreparedBuild{std::move(*kernel), std::move(*request)};
}

} // namespace uk::cli
