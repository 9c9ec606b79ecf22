// uk image create|list|rm: images for clouds and other hypervisors (self-booting through
// BIOS or UEFI firmware, in the target's format), and the image store.
#include "cli/command.hpp"
#include "cli/image_options.hpp"
#include "core/log.hpp"
#include "core/exit_status.hpp"
#include "core/signals.hpp"
#include "core/units.hpp"
#include "image/export.hpp"
#include "image/firmware.hpp"
#include "image/inspect.hpp"
#include "upload/credentials.hpp"
#include "upload/s3.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <ctime>
#include <sys/stat.h>
#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

namespace uk::cli {
namespace {

struct CreateOptions {
    std::string program;
    std::string target;
    std::string output;
    std::string upload;
    std::string endpoint;
    std::string region;
    std::string part_size = "16M";
    ImageOptions image;
};

// A progress bar on stderr when it is a terminal and -q was not given; nothing otherwise
// (CI logs stay clean).
std::function<void(std::uint64_t, std::uint64_t)> progress_bar(const std::string& what)
{
    if (!log::progress())
        return [](std::uint64_t, std::uint64_t) {};
    return [what](std::uint64_t done, std::uint64_t total) {
        int width = 30;
        int filled = total ? static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width) : width;
        std::fprintf(stderr, "\ruk: uploading %s [%s%s] %s / %s", what.c_str(), std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), human_bytes(done).c_str(),
                     human_bytes(total).c_str());
        if (done == total)
            std::fputc('\n', stderr);
        std::fflush(stderr);
    };
}

Result<int> create(const CreateOptions& options, const Context& context)
{
    auto target = image::parse_target(options.target);
    if (!target)
        return fail(target.error());
    // Everything an upload needs is checked before anything is built.
    std::optional<upload::Credentials> credentials;
    upload::UploadOptions upload_options;
    if (!options.upload.empty()) {
        if (auto location = upload::parse_s3_url(options.upload, "image"); !location)
            return fail(location.error());
        auto found = upload::find_credentials(context.environment);
        if (!found)
            return fail(found.error());
        credentials = *found;
        auto part = parse_memory_mib(options.part_size);
        if (!part)
            return fail(ErrorKind::usage, "--part-size {}", part.error().message);
        upload_options.part_size = *part << 20;
        upload_options.endpoint = options.endpoint;
        upload_options.region = upload::find_region(options.region, context.environment);
    } else if (!options.endpoint.empty() || !options.region.empty()) {
        return fail(ErrorKind::usage, "--endpoint and --region go with --upload");
    }
    auto tools = image::find_firmware_tools();
    if (!tools)
        return fail(tools.error());
    auto started = std::chrono::steady_clock::now();
    // Named after the image unless -o says otherwise; the raw image is built beside it.
    auto prepared = prepare_build(options.image, options.program, "/unused", context.environment);
    if (!prepared)
        return fail(prepared.error());
    auto* request = &prepared->request;
    std::filesystem::path output =
        options.output.empty() ? std::filesystem::path(request->name + image::file_extension(*target)) : std::filesystem::path(options.output);
    std::error_code ec;
    if (std::filesystem::is_directory(output, ec))
        output /= request->name + image::file_extension(*target);
    auto folder = output.parent_path().empty() ? std::filesystem::path(".") : output.parent_path();
    if (!std::filesystem::is_directory(folder, ec))
        return fail(ErrorKind::not_found, "folder {} does not exist: create it or give another -o", folder.string());
    auto raw = folder / ("." + output.filename().string() + ".raw.partial");
    request->output = raw;
    struct RemoveRaw {
        std::filesystem::path path;
        ~RemoveRaw()
        {
            std::error_code ignored;
            std::filesystem::remove(path, ignored);
        }
    } remove_raw{raw};

    auto built = image::build_image(*request);
    if (!built)
        return fail(built.error());
    if (auto bootable = image::make_firmware_bootable(raw, *tools); !bootable)
        return fail(bootable.error());
    if (stop_requested())
        return fail(ErrorKind::interrupted, "stopped before the image was written");
    if (auto exported = image::export_image(raw, *target, output); !exported)
        return fail(exported.error());
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (log::quiet()) {
        log::result(output.string());
    } else {
        log::result(fmt::format("created {} ({}, {}) in {:.2f} s", output.string(), image::to_string(*target),
                                 human_bytes(std::filesystem::file_size(output, ec)), seconds));
        log::result("  boots through BIOS or UEFI firmware; the console is on the first serial port, the address "
                     "comes from DHCP");
    }
    if (credentials) {
        auto location = upload::parse_s3_url(options.upload, output.filename().string());
        if (!location)
            return fail(location.error());
        upload_options.progress = progress_bar(output.filename().string());
        if (auto sent = upload::upload_file(output, *location, *credentials, upload_options); !sent)
            return fail(sent.error().kind, "{} (the image is at {})", sent.error().message, output.string());
        if (!log::quiet())
            log::result(fmt::format("uploaded s3://{}/{}", location->bucket, location->key));
    }
    return exit_success;
}

struct StoreOptions {
    bool json = false;
    std::vector<std::string> names;
};

Result<std::filesystem::path> images_folder(const Context& context)
{
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    return paths->images;
}

std::string modified_utc(const std::filesystem::path& file)
{
    struct stat st{};
    return ::stat(file.c_str(), &st) == 0 ? format_utc(st.st_mtime) : "-";
}

Result<int> list(const StoreOptions& options, const Context& context)
{
    auto folder = images_folder(context);
    if (!folder)
        return fail(folder.error());
    auto files = state::stored_images(*folder);
    std::error_code ec;
    if (options.json) {
        auto out = nlohmann::json::array();
        for (const auto& f : files)
            out.push_back({{"name", f.stem().string()},
                           {"path", f.string()},
                           {"size_bytes", std::filesystem::file_size(f, ec)},
                           {"modified", modified_utc(f)}});
        log::result(out.dump(2));
        return exit_success;
    }
    if (log::quiet()) { // names only, for scripts and shell completion
        for (const auto& f : files)
            log::result(f.stem().string());
        return exit_success;
    }
    std::size_t width = 4;
    for (const auto& f : files)
        width = std::max(width, f.stem().string().size());
    log::result(fmt::format("{:<{}}  {:>9}  {}", "NAME", width, "SIZE", "MODIFIED"));
    for (const auto& f : files)
        log::result(fmt::format("{:<{}}  {:>9}  {}", f.stem().string(), width,
                                 human_bytes(std::filesystem::file_size(f, ec)), modified_utc(f)));
    return exit_success;
}

struct InspectOptions {
    std::string image;
    bool json = false;
};

Result<int> inspect(const InspectOptions& options, const Context& context)
{
    auto folder = images_folder(context);
    if (!folder)
        return fail(folder.error());
    std::error_code ec;
    std::filesystem::path file = options.image;
    if (!std::filesystem::is_regular_file(file, ec)) {
        auto stored = *folder / (options.image + ".img");
        if (options.image.find('/') != std::string::npos || !std::filesystem::is_regular_file(stored, ec))
            return fail(ErrorKind::not_found, "{} is neither an image file nor an image in {} (uk image list shows them)",
                        options.image, folder->string());
        file = stored;
    }
    auto info = image::inspect_image(file);
    if (!info)
        return fail(info.error());
    if (options.json) {
        log::result(image::to_json(*info).dump(2));
        return exit_success;
    }
    auto json = image::to_json(*info);
    log::result(fmt::format("image      {}", info->file.string()));
    log::result(fmt::format("size       {} ({} on disk), raw; boots through firmware: {}", human_bytes(info->size_bytes),
                             human_bytes(info->allocated_bytes),
                             info->firmware_bootable ? "yes (BIOS and UEFI)" : "no (uk run boots it directly)"));
    log::result(fmt::format("kernel     Linux {}", info->kernel_version.empty() ? "(unknown)" : info->kernel_version));
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
    auto folder = images_folder(context);
    if (!folder)
        return fail(folder.error());
    std::vector<std::filesystem::path> doomed;
    std::error_code ec;
    for (const auto& name : options.names) { // all checked before any is removed
        auto valid = image::check_image_name(name);
        auto file = *folder / (name + ".img");
        if (!valid || !std::filesystem::is_regular_file(file, ec))
            return fail(ErrorKind::not_found, "no image named {} in {} (uk image list shows them)", name,
                        folder->string());
        doomed.push_back(file);
    }
    for (const auto& file : doomed) {
        if (!std::filesystem::remove(file, ec) && ec)
            return fail(ErrorKind::io, "cannot remove {}: {}", file.string(), ec.message());
        log::result(file.stem().string());
    }
    return exit_success;
}

} // namespace

Action declare_image(CLI::App& command, const Context& context)
{
    command.require_subcommand(1);
    auto create_options = std::make_shared<CreateOptions>();
    auto* create_command =
        command.add_subcommand("create", "Make a self-booting image for a cloud or another hypervisor");
    create_command->add_option("PROGRAM", create_options->program,
                               "The x86-64 Linux program to pack (default: Program from the config file)")
        ->type_name("");
    create_command
        ->add_option("-t,--target", create_options->target, "raw, qcow2, vmdk, vhd (Azure), gcp, aws or openstack")
        ->type_name("raw|qcow2|vmdk|vhd|gcp|aws|openstack")
        ->required();
    create_command->add_option("-o,--output", create_options->output,
                               "Write it here, a file or a folder (default: NAME.EXT in the current folder)")
        ->type_name("FILE");
    create_command->add_option("--upload", create_options->upload,
                               "Then upload it to s3://BUCKET/KEY (AWS credentials from the environment or "
                               "~/.aws/credentials)")
        ->type_name("s3://BUCKET/KEY");
    create_command->add_option("--endpoint", create_options->endpoint,
                               "With --upload: an S3-compatible server, e.g. https://storage.googleapis.com or "
                               "http://127.0.0.1:9000 (MinIO)")
        ->type_name("URL");
    create_command->add_option("--region", create_options->region,
                               "With --upload: the bucket's region (default AWS_REGION, else us-east-1)")
        ->type_name("REGION");
    create_command->add_option("--part-size", create_options->part_size,
                               "With --upload: files larger than this go in parts of this size (default 16M, at least "
                               "5M)")
        ->type_name("SIZE");
    create_options->image.declare(*create_command);
    create_command->footer("Examples:\n"
                           "  uk image create ./server -t gcp        # server.tar.gz for Compute Engine\n"
                           "  uk image create -c uk.json -t vhd -o dist/   # dist/NAME.vhd for Azure\n"
                           "  uk image create ./server -t aws --upload s3://my-bucket/images/\n"
                           "docs/cloud.md shows how each cloud imports what this writes.");

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
            return create(*create_options, context);
        if (list_command->parsed())
            return list(*list_options, context);
        if (remove_command->parsed())
            return remove(*remove_options, context);
        if (inspect_command->parsed())
            return inspect(*inspect_options, context);
        return fail(ErrorKind::usage, "{} needs a subcommand: create, list, inspect or rm", command.get_name());
    };
}

} // namespace uk::cli
