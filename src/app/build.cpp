#include "app/build.hpp"

#include "core/file_lock.hpp"
#include "elf/elf.hpp"
#include "core/files.hpp"
#include "core/temporary_files.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/signals.hpp"
#include "guest/embedded.hpp"
#include "state/names.hpp"
#include "state/paths.hpp"

#include <unistd.h>

namespace uk::app {

Result<config::Settings> load_settings(const std::optional<std::filesystem::path>& config_file,
                                       const config::Overrides& flags)
{
    std::error_code ec;
    auto file = config::load_config(config_file, std::filesystem::current_path(ec));
    if (!file)
        return fail(file.error());
    if (*file)
        for (const auto& warning : (*file)->warnings)
            log::warning(warning);
    return config::merge(*file, flags);
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
    std::error_code ec;
    auto here = (settings.program_dir / program).lexically_normal();
    if (std::filesystem::exists(here, ec))
        return here;
    if (auto found = find_in_path(program))
        return *found;
    return fail(ErrorKind::not_found, "program {} is neither a file in {} nor a command in PATH", program,
                settings.program_dir == "." ? "this folder" : settings.program_dir.string());
}

namespace {

// What every build request takes from the settings, whatever its root.
Result<image::BuildRequest> complete_request(image::BuildRequest request, const config::Settings& settings,
                                             const KernelChoice& kernel, const std::filesystem::path& output,
                                             const state::ImageStore& store)
{
    if (auto valid = state::check_name("image", request.name); !valid)
        return fail(valid.error());
    request.contents = {settings.base_dir, settings.files, settings.dirs, settings.map_dirs};
    request.name_servers = settings.name_servers;
    request.readonly_root = settings.readonly_root;
    if (settings.writable_root_size)
        request.writable_root_mib = settings.writable_root_size->mib;
    request.strip = settings.strip;
    request.compression = settings.compression;
    request.root_fs = settings.root_fs;
    if (settings.strace) {
        auto strace = find_in_path("strace");
        if (!strace)
            return fail(ErrorKind::unavailable,
                        "--strace packs this machine's strace, which is not installed: apt-get install strace");
        request.strace = *strace;
        request.strace_options = *settings.strace;
    }
    request.cancelled = [] { return stop_requested(); };
    if (kernel.bytes && request.arch != Arch::amd64)
        return fail(ErrorKind::usage, "--kernel {} takes an x86-64 kernel; {} images boot uk's own arm64 kernel: leave "
                                      "--kernel out",
                    kernel.path.string(), to_string(request.arch));
    if (kernel.bytes)
        request.kernel = std::as_bytes(std::span(kernel.bytes->data(), kernel.bytes->size()));
    else
        request.kernel = guest::kernel_image(request.arch);
    request.init = guest::init_program(request.arch);
    std::error_code ec;
    if (!output.empty()) {
        // A folder takes NAME.img; the folder must be there and writable before anything
        // is built into it.
        request.output = std::filesystem::is_directory(output, ec) ? output / (request.name + ".img") : output;
        auto folder = request.output.parent_path().empty() ? std::filesystem::path(".") : request.output.parent_path();
        if (!std::filesystem::is_directory(folder, ec))
            return fail(ErrorKind::not_found, "-o {}: folder {} does not exist", output.string(), folder.string());
        if (::access(folder.c_str(), W_OK) != 0)
            return fail(ErrorKind::io, "-o {}: you may not write in {}", output.string(), folder.string());
        request.readers = Readers::umask;
    } else {
        if (auto made = state::ensure_directory(store.folder()); !made)
            return fail(made.error());
        request.output = store.file_of(request.name);
    }
    return request;
}

} // namespace

Result<image::BuildRequest> make_build_request(const config::Settings& settings, const KernelChoice& kernel,
                                               const std::filesystem::path& output, const state::ImageStore& store)
{
    auto program = program_path(settings);
    if (!program)
        return fail(program.error());
    // The program's ELF machine chooses the guest; --arch only confirms it.
    auto inspected = elf::inspect_program(*program);
    if (!inspected)
        return fail(inspected.error());
    if (settings.arch && *settings.arch != inspected->arch)
        return fail(ErrorKind::usage, "--arch {} does not match {}, an {} program: rebuild it for linux/{} or give --arch {}",
                    to_string(*settings.arch), program->string(), display_name(inspected->arch),
                    to_string(*settings.arch), to_string(inspected->arch));
    image::BuildRequest request;
    request.program = *program;
    request.arch = inspected->arch;
    request.name = settings.name.value_or(image::default_image_name(*program));
    request.args = settings.args;
    request.env = settings.env;
    request.sysroot = settings.sysroot;
    std::error_code ec;
    if (!std::filesystem::is_directory(request.sysroot, ec))
        return fail(ErrorKind::not_found, "sysroot {} is not a folder", settings.sysroot);
    return complete_request(std::move(request), settings, kernel, output, store);
}

Result<image::BuildRequest> make_root_build_request(const config::Settings& settings, const KernelChoice& kernel,
                                                    const std::filesystem::path& output,
                                                    const state::ImageStore& store, image::PreparedRoot root,
                                                    const std::string& default_name)
{
    if (settings.arch && *settings.arch != Arch::amd64)
        return fail(ErrorKind::usage, "--arch {}: uk builds images from OCI images for linux/amd64 only; leave --arch out",
                    to_string(*settings.arch));
    image::BuildRequest request;
    request.name = settings.name.value_or(default_name);
    request.root = std::move(root);
    return complete_request(std::move(request), settings, kernel, output, store);
}

Result<image::BuildResult> build_image(const image::BuildRequest& request)
{
    auto lock_file = lock_file_for(request.output);
    auto lock = FileLock::acquire(
        lock_file, [&] { log::notice(fmt::format("waiting for another uk build of {}", request.output.filename().string())); },
        [] { return stop_requested(); });
    if (!lock)
        return fail(lock.error());
    return image::build_image(request);
}

Result<PreparedBuild> prepare_build(const std::optional<std::filesystem::path>& config_file,
                                    const config::Overrides& flags, const std::filesystem::path& output,
                                    const state::ImageStore& store)
{
    auto settings = load_settings(config_file, flags);
    if (!settings)
        return fail(settings.error());
    auto kernel = kernel_choice(*settings);
    if (!kernel)
        return fail(kernel.error());
    auto request = make_build_request(*settings, *kernel, output, store);
    if (!request)
        return fail(request.error());
    // The kernel's bytes live behind a shared pointer: moving the choice keeps the
    // request's span valid.
    return PreparedBuild{std::move(*settings), std::move(*kernel), std::move(*request)};
}

} // namespace uk::app
