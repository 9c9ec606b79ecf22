// uk image create: a self-booting image for a cloud or another hypervisor (BIOS or UEFI
// firmware, in the target's format), optionally uploaded to S3.
#include "app/build.hpp"
#include "cli/command.hpp"
#include "cli/image_commands.hpp"
#include "cli/image_options.hpp"
#include "cli/layer_progress.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/temporary_files.hpp"
#include "core/units.hpp"
#include "image/export.hpp"
#include "image/firmware.hpp"
#include "settings/settings.hpp"
#include "state/image_store.hpp"
#include "upload/credentials.hpp"
#include "upload/s3.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <unistd.h>

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
        auto part = flag_value("--part-size", settings::parse_memory_size(options.part_size));
        if (!part)
            return fail(part.error());
        upload_options.part_size = part->mib << 20;
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
    auto prepared = options.image.prepare(options.program, "/unused", context.environment);
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
    // The raw image is a temporary too (temporary_files.hpp): a killed run leaves one the
    // next uk in this folder removes.
    auto raw = std::filesystem::path(temporary_pattern(output)).replace_filename(
        "." + output.filename().string() + ".uk-tmp." + std::to_string(::getpid()) + ".raw");
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
    if (auto exported = image::export_image(raw, *target, output, [] { return stop_requested(); }); !exported)
        return fail(exported.error());
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (log::quiet()) {
        log::result(output.string());
    } else {
        auto size = std::filesystem::file_size(output, ec);
        log::result(fmt::format("created {} ({}, {}) in {:.2f} s", output.string(), image::to_string(*target),
                                ec ? std::string("size unknown") : human_bytes(size), seconds));
        if (request->arch == Arch::arm64)
            log::result("  an arm64 image: boots through UEFI firmware; the console is on the first serial port "
                        "(PL011), the address comes from DHCP");
        else if (tools->syslinux.empty())
            log::result("  boots through UEFI firmware only (this machine has no syslinux, which Debian builds for x86 "
                        "only; a cloud must be told UEFI: docs/cloud.md); the console is on the first serial port, "
                        "the address comes from DHCP");
        else
            log::result("  boots through BIOS or UEFI firmware; the console is on the first serial port, the address "
                        "comes from DHCP");
    }
    if (credentials) {
        auto location = upload::parse_s3_url(options.upload, output.filename().string());
        if (!location)
            return fail(location.error());
        upload_options.progress = progress_bar("uploading", output.filename().string());
        upload_options.cancelled = [] { return stop_requested(); };
        if (auto sent = upload::upload_file(output, *location, *credentials, upload_options); !sent)
            return fail(sent.error().kind, "{} (the image is at {})", sent.error().message, output.string());
        if (!log::quiet())
            log::result(fmt::format("uploaded s3://{}/{}", location->bucket, location->key));
    }
    return exit_success;
}

} // namespace

CLI::App* declare_image_create(CLI::App& command, const Context& context, std::function<Result<int>()>& action)
{
    auto create_options = std::make_shared<CreateOptions>();
    auto* create_command = command.add_subcommand("create", "Make a self-booting image for a cloud or another hypervisor");
    create_command->add_option("PROGRAM", create_options->program,
                               "The x86-64 or arm64 Linux program to pack (default: Program from the config file)")
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

    action = [create_options, &context] { return create(*create_options, context); };
    return create_command;
}

} // namespace uk::cli
