#include "cli/image_options.hpp"

#include "cli/command.hpp"

#include <algorithm>

namespace uk::cli {

void ImageOptions::declare(CLI::App& command, NameFlag name_flag)
{
    command.add_option("-c,--config", config_file,
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
    root_fs_option_ =
        command.add_option("--root-fs", root_fs,
                           "The root's file system: squashfs (default; compressed) or erofs (uncompressed and larger; "
                           "the guest maps files from the host instead of copying them into its memory, for small "
                           "--mem)")
            ->check(CLI::IsMember({"squashfs", "erofs"}).description(""))
            ->type_name("squashfs|erofs");
    arch_option_ = command.add_option("--arch", arch,
                                      "The guest's architecture: amd64 or arm64 (default: the program's own); a "
                                      "program of the other one is refused")
                       ->check(CLI::IsMember({"amd64", "arm64", "x86_64", "aarch64"}).description(""))
                       ->type_name("amd64|arm64");
    sysroot_option_ = command.add_option("--sysroot", sysroot, "Take shared libraries from this root, not from this machine")
                          ->type_name("DIR");
    strip_option_ = command.add_flag("--strip", strip, "Strip debug information and symbols from ELF files as they are packed");
    kernel_option_ = command.add_option("--kernel", kernel, "Boot this kernel (bzImage or ELF) instead of uk's own")
                         ->type_name("FILE");
    strace_option_ = command.add_flag("--strace", strace,
                                      "Run the program under this machine's strace, its output on the console; "
                                      "--strace=-f,-e,trace=file passes options (docs/debugging.md)")
                         ->type_name("[=OPTS]");
}

std::optional<std::filesystem::path> ImageOptions::config() const
{
    if (config_file.empty())
        return std::nullopt;
    return std::filesystem::path(config_file);
}

bool ImageOptions::shapes_image() const
{
    // --arch does not shape an image: with one already built it only says what it must be.
    for (const auto* option : {name_option_, args_option_, env_option_, compression_option_, root_fs_option_,
                               sysroot_option_, strip_option_, strace_option_})
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
    if (compression_option_->count()) {
        auto parsed = flag_value("--compression", settings::parse_compression(compression));
        if (!parsed)
            return fail(parsed.error());
        out.compression = *parsed;
    }
    if (root_fs_option_->count()) {
        auto parsed = flag_value("--root-fs", settings::parse_root_fs(root_fs));
        if (!parsed)
            return fail(parsed.error());
        out.root_fs = *parsed;
    }
    if (arch_option_->count()) {
        auto parsed = flag_value("--arch", settings::parse_arch(arch));
        if (!parsed)
            return fail(parsed.error());
        out.arch = *parsed;
    }
    if (sysroot_option_->count())
        out.sysroot = sysroot;
    if (strip_option_->count())
        out.strip = strip;
    if (kernel_option_->count())
        out.kernel = kernel;
    if (strace_option_->count()) {
        out.strace.emplace();
        if (strace != "true")
            *out.strace = settings::split_strace_options(strace);
    }
    return out;
}

Result<app::PreparedBuild> ImageOptions::prepare(const std::string& program, const std::filesystem::path& output,
                                                 const state::Environment& environment) const
{
    auto flags = overrides(environment);
    if (!flags)
        return fail(flags.error());
    if (!program.empty())
        flags->program = program;
    auto paths = state::resolve_paths(environment);
    if (!paths)
        return fail(paths.error());
    return app::prepare_build(config(), *flags, output, state::ImageStore(paths->images));
}

} // namespace uk::cli
