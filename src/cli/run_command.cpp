// uk run PROGRAM|IMAGE: its options, and how its results look. What it does is app::run.
#include "app/missing_files.hpp"
#include "app/run.hpp"
#include "cli/backend.hpp"
#include "cli/command.hpp"
#include "cli/json_output.hpp"
#include "cli/console_view.hpp"
#include "cli/image_options.hpp"
#include "cli/layer_progress.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"
#include "core/process.hpp"

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace uk::cli {
namespace {

struct RunOptions {
    std::string target;
    bool detach = false;
    std::string boot = "direct";
    bool uefi = false;
    std::string disk_bus;
    std::string instance_name;
    bool json = false;
    std::string ready_timeout = "120s";
    std::string net, tap, bridge, ip, gateway, netmask, ip6;
    std::vector<std::string> volumes;
    std::vector<std::string> dns;
    std::string memory;
    unsigned cpus = 1;
    std::vector<std::string> ports;
    std::string accel;
    bool dry_run = false;
    bool tls_verify = true;
    bool missing_files = false;
    std::string gdb; // "true" for a bare --gdb, else the PORT of --gdb=PORT
    bool gdb_wait = false;
    std::string restart;
    ImageOptions image;
    // Which options were given (an empty value can be given too).
    std::map<std::string, CLI::Option*> given;
    bool has(const std::string& name) const { return given.at(name)->count() > 0; }
    std::optional<std::string> value(const std::string& name, const std::string& text) const
    {
        return has(name) ? std::optional(text) : std::nullopt;
    }
};

class TerminalView final : public app::RunPresenter {
public:
    TerminalView(bool json, bool missing_files) : json_(json), watch_files_(missing_files) {}
    void show_whole_console(bool whole) override { filter_ = ConsoleFilter(whole); }
    void console_line(std::string_view line) override
    {
        if (watch_files_)
            missing_.see(line);
        print_console_line(filter_, line);
    }
    // --missing-files: on stderr, so that stdout stays the program's.
    void report_missing_files() const
    {
        if (missing_.paths().empty()) {
            log::notice("the program found every file it looked for");
            return;
        }
        log::notice(fmt::format("the program looked for {} file{} the image does not have:", missing_.paths().size(),
                                missing_.paths().size() == 1 ? "" : "s"));
        std::string files;
        for (const auto& path : missing_.paths()) {
            log::notice("  " + path);
            files += (files.empty() ? "" : ", ") + nlohmann::json(path).dump();
        }
        log::notice(fmt::format("for the config file, where the host has them: \"Files\": [{}]", files));
    }
    void stopping(bool forced) override
    {
        log::notice(forced ? "stopping the VM now"
                           : "stopping the VM (the program gets SIGTERM); press Ctrl-C again to stop it at once");
    }
    void command_line(const std::vector<std::string>& argv) override { log::result(shell_quote(argv)); }
    // uk run's status stays the program's (137); the line says why it was killed.
    void out_of_memory(const std::string& message) override { log::error(message); }
    void debugger(const DebuggerHint& hint) override
    {
        auto target = fmt::format("-ex 'target remote 127.0.0.1:{}'", hint.port);
        log::notice(fmt::format("gdb stub on 127.0.0.1:{}{}", hint.port,
                                hint.waiting ? ": the VM waits, halted, until gdb continues it" : ""));
        if (hint.program)
            log::notice(fmt::format("  the program:  gdb {} {}", target, shell_quote({hint.program->string()})));
        if (hint.kernel)
            log::notice(fmt::format("  the kernel:   gdb {} {}", target, shell_quote({hint.kernel->string()})));
        if (!hint.program && !hint.kernel)
            log::notice(fmt::format("  gdb {}", target));
    }
    void detached(const instance::Record& record, const instance::Files& files) override
    {
        if (json_)
            log::result(json_text(instance::to_json(record, instance::status_of(record, files), files)));
        else
            log::result(record.name);
    }

private:
    ConsoleFilter filter_{false};
    bool json_;
    bool watch_files_;
    app::MissingFiles missing_;
};

// The flags, typed; a mistake in any of them is found before anything happens.
Result<app::RunRequest> run_request(const RunOptions& options, const Context& context)
{
    app::RunRequest request{.target = options.target, .config_file = options.image.config()};
    auto flags = options.image.overrides(context.environment);
    if (!flags)
        return fail(flags.error());
    if (options.has("--mem")) {
        auto memory = flag_value("--mem", settings::parse_memory_size(options.memory));
        if (!memory)
            return fail(memory.error());
        flags->memory = *memory;
    }
    if (options.has("--cpus")) {
        auto cpus = flag_value("--cpus", settings::parse_cpu_count(options.cpus));
        if (!cpus)
            return fail(cpus.error());
        flags->cpus = *cpus;
    }
    if (options.has("--publish")) {
        flags->ports.emplace();
        for (const auto& spec : options.ports) {
            auto port = settings::parse_port_mapping(spec);
            if (!port)
                return fail(ErrorKind::usage, "-p {}: {}", spec, port.error().message);
            flags->ports->push_back(*port);
        }
    }
    if (options.has("--accel")) {
        auto accel = flag_value("--accel", settings::parse_accelerator_choice(options.accel));
        if (!accel)
            return fail(accel.error());
        flags->accel = *accel;
    }
    // -v and -q are read by main for every command; here they also decide the console,
    // over the config file's Verbose.
    if (log::verbose())
        flags->verbose = true;
    if (log::quiet())
        flags->verbose = false;
    request.flags = *flags;
    request.flags_shape_image = options.image.shapes_image();
    if (options.missing_files) {
        if (options.detach)
            return fail(ErrorKind::usage, "--missing-files goes with an attached run: the report comes when the program "
                                          "ends");
        if (!request.flags.strace)
            request.flags.strace = app::missing_files_strace_options();
        request.flags_shape_image = true;
    }
    auto boot = flag_value("--boot", settings::parse_boot_mode(options.boot));
    if (!boot)
        return fail(boot.error());
    request.boot = *boot;
    request.uefi = options.uefi;
    if (options.has("--disk-bus"))
        request.disk_bus = options.disk_bus == "scsi"   ? vm::DiskBus::scsi
                           : options.disk_bus == "nvme" ? vm::DiskBus::nvme
                                                        : vm::DiskBus::virtio;
    request.flags.network = {.mode = options.value("--net", options.net),
                             .tap = options.value("--tap", options.tap),
                             .bridge = options.value("--bridge", options.bridge),
                             .ip = options.value("--ip", options.ip),
                             .gateway = options.value("--gateway", options.gateway),
                             .netmask = options.value("--netmask", options.netmask),
                             .ipv6 = options.value("--ip6", options.ip6)};
    request.flags.dns = options.dns;
    if (options.has("--name"))
        request.flags.instance_name = options.instance_name;
    if (options.detach)
        request.flags.detach = true;
    for (const auto& spec : options.volumes) {
        auto mount = settings::parse_mount_spec(spec);
        if (!mount)
            return fail(ErrorKind::usage, "-v {}: {}", spec, mount.error().message);
        request.flags.mounts.push_back(*mount);
    }
    auto timeout = flag_value("--ready-timeout", settings::parse_duration(options.ready_timeout));
    if (!timeout)
        return fail(timeout.error());
    request.ready_timeout = *timeout;
    request.dry_run = options.dry_run;
    request.tls_verify = options.tls_verify;
    if (options.has("--gdb")) {
        if (options.gdb == "true") {
            request.flags.gdb_port = 1234;
        } else {
            unsigned port = 0;
            auto [end, ec] = std::from_chars(options.gdb.data(), options.gdb.data() + options.gdb.size(), port);
            if (ec != std::errc() || end != options.gdb.data() + options.gdb.size() || port < 1 || port > 65535)
                return fail(ErrorKind::usage, "--gdb={}: expected a port from 1 to 65535", options.gdb);
            request.flags.gdb_port = static_cast<std::uint16_t>(port);
        }
    }
    request.flags.gdb_wait = options.gdb_wait;
    if (options.has("--restart")) {
        auto policy = flag_value("--restart", settings::parse_restart_policy(options.restart));
        if (!policy)
            return fail(policy.error());
        request.flags.restart = *policy;
    }
    if (options.json && !options.detach)
        return fail(ErrorKind::usage, "--json goes with -d: an attached run prints the program's output");
    return request;
}

Result<int> run(const RunOptions& options, const Context& context)
{
    auto request = run_request(options, context);
    if (!request)
        return fail(request.error());
    auto host = qemu_host(context);
    if (!host)
        return fail(host.error());
    app::ProcessMonitorLauncher monitors(std::filesystem::read_symlink("/proc/self/exe"));
    TerminalView view(options.json, options.missing_files);
    StopSignals stops;
    LayerProgress progress;
    request->pull_progress = &progress;
    auto status = app::run(*request,
                           {.paths = host->paths, .working_dir = std::filesystem::current_path(),
                            .environment = context.environment},
                           host->backend, monitors, view, stops);
    if (options.missing_files && !options.dry_run)
        view.report_missing_files();
    return status;
}

} // namespace

Action declare_run(CLI::App& command, const Context& context)
{
    auto options = std::make_shared<RunOptions>();
    auto& given = options->given;
    command.add_option("TARGET", options->target,
                       "A program (built first), an image file, an image name, or an OCI or Docker image (oci:DIR, "
                       "docker-archive:FILE, docker://HOST/NAME:TAG; built first, docs/oci.md) (default: Program from "
                       "the config)")
        ->type_name("");
    given["--mem"] = command.add_option("-m,--mem", options->memory, "Guest memory, e.g. 64M or 1G (default 128M)")
                         ->type_name("SIZE");
    given["--cpus"] = command.add_option("--cpus", options->cpus, "Virtual CPUs (default 1)")->type_name("N");
    given["--publish"] = command
                             .add_option("-p,--publish", options->ports,
                                         "Publish a port: [IP:]HOST[:GUEST][/udp], on 127.0.0.1 unless IP is given")
                             ->allow_extra_args(false)
                             ->type_name("PORT");
    given["--accel"] = command
                           .add_option("--accel", options->accel,
                                       "auto (KVM when /dev/kvm opens and boots uk's kernel, checked once per host "
                                       "boot; else TCG), kvm or tcg (default auto)")
                           ->type_name("auto|kvm|tcg");
    command.add_flag("--dry-run", options->dry_run, "Print the QEMU command line and exit");
    given["--gdb"] = command.add_flag("--gdb", options->gdb,
                                      "Open QEMU's gdb stub on 127.0.0.1:PORT (default 1234) and print how to attach "
                                      "(docs/debugging.md)")
                         ->type_name("[=PORT]");
    command.add_flag("--missing-files", options->missing_files,
                     "Trace the program's file calls (with --strace's options, or -f -e trace=%file) and list the "
                     "files it looked for that the image lacks");
    command.add_flag("--gdb-wait", options->gdb_wait,
                     "With --gdb: start the VM halted, until gdb continues it");
    command.add_option("--tls-verify", options->tls_verify,
                       "With a docker:// target: false sends HTTPS without checking its certificate, or plain HTTP "
                       "(default true)")
        ->type_name("true|false");
    given["--restart"] =
        command
            .add_option("--restart", options->restart,
                        "With -d: start the VM again when the program exits or the guest dies (on-failure: only "
                        "after a non-zero status or a dead guest, on-failure:MAX at most MAX times), waiting 100 ms "
                        "doubling to 30 s between tries; uk instance stop ends it (default no)")
            ->type_name("no|on-failure|always|unless-stopped");
    command.add_flag("-d,--detach", options->detach,
                     "Start the VM in the background, print the instance's name and return once it runs (and its "
                     "first published TCP port answers)");
    given["--name"] =
        command.add_option("--name", options->instance_name, "The instance's name (default: IMAGE-xxxxxx)")->type_name("NAME");
    command
        .add_option("-v,--volume", options->volumes,
                    "Mount a volume (NAME:/path, made when missing) or a host folder (/dir:/path or ./dir:/path), "
                    "with :ro for read-only (repeatable)")
        ->allow_extra_args(false)
        ->type_name("MOUNT");
    command.add_option("--boot", options->boot,
                       "direct (default: uk's kernel straight into a microvm) or firmware (the image's own boot loader "
                       "on q35, as a cloud boots it; needs an image from uk image create)")
        ->check(CLI::IsMember({"direct", "firmware"}).description(""))
        ->type_name("direct|firmware");
    command.add_flag("--uefi", options->uefi, "With --boot firmware: UEFI (OVMF) instead of BIOS (SeaBIOS)");
    given["--disk-bus"] =
        command.add_option("--disk-bus", options->disk_bus, "With --boot firmware: virtio (default), scsi or nvme")
            ->check(CLI::IsMember({"virtio", "scsi", "nvme"}).description(""))
            ->type_name("virtio|scsi|nvme");
    command.add_flag("--json", options->json, "With -d: print the instance as JSON (docs/json.md)");
    command.add_option("--ready-timeout", options->ready_timeout,
                       "With -d: how long to wait for the first published port, e.g. 30s (default 120s)")
        ->type_name("DURATION");
    given["--net"] = command
                         .add_option("--net", options->net,
                                     "user (default: QEMU's NAT, -p publishes ports), tap, bridge or none")
                         ->type_name("user|tap|bridge|none");
    given["--tap"] = command.add_option("--tap", options->tap, "An existing tap device for --net tap")->type_name("TAP");
    given["--bridge"] =
        command.add_option("--bridge", options->bridge, "A host bridge for --net bridge (through qemu-bridge-helper)")
            ->type_name("BRIDGE");
    given["--ip"] =
        command.add_option("--ip", options->ip, "Tap/bridge: the guest's IPv4 address, A.B.C.D[/PREFIX] (default: DHCP)")
            ->type_name("ADDRESS");
    given["--gateway"] = command.add_option("--gateway", options->gateway, "Tap/bridge with --ip: the default route")
                             ->type_name("ADDRESS");
    given["--netmask"] =
        command.add_option("--netmask", options->netmask, "Tap/bridge with --ip: e.g. 255.255.255.0 (default /24)")
            ->type_name("MASK");
    given["--ip6"] = command.add_option("--ip6", options->ip6, "Tap/bridge: a static IPv6 address, ADDRESS[/PREFIX] (default /64)")
                         ->type_name("ADDRESS");
    command.add_option("--dns", options->dns, "Tap/bridge: a DNS server for the guest (repeatable)")
        ->allow_extra_args(false)
        ->type_name("ADDRESS");
    options->image.declare(command, ImageOptions::NameFlag::image_name);
    command.footer("Examples:\n"
                   "  uk run ./server -p 8080                 # build, boot, publish 127.0.0.1:8080\n"
                   "  uk run server --mem 64M -p 18080:8080   # an image from the store\n"
                   "  uk run -c node.json -p 8080             # what the config file says, and a port\n"
                   "  uk run ./job -a --once; echo $?         # the program's exit status is uk's\n"
                   "  uk run -d --name web server -p 8080     # in the background; uk ps, uk instance stop web\n"
                   "  uk run server --tap tap0 --ip 192.168.7.2/24 --gateway 192.168.7.1\n"
                   "  uk run server -v data:/var/lib/app -v ./site:/srv:ro   # a volume, a host folder\n"
                   "  uk run docker://localhost:5000/web:1 --tls-verify=false -p 8080   # an OCI image\n"
                   "Ctrl-C stops the VM gracefully (the program gets SIGTERM); twice stops it at once.");
    return [options, &context] { return run(*options, context); };
}

} // namespace uk::cli
