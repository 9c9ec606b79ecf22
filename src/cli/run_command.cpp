// uk run PROGRAM|IMAGE: boot it in a VM in the foreground; uk's exit status is the
// program's.
#include "cli/command.hpp"
#include "config/settings.hpp"
#include "cli/image_options.hpp"
#include "cli/run_modes.hpp"
#include "core/log.hpp"
#include "core/exit_status.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "core/units.hpp"
#include "guest/embedded.hpp"
#include "guest/kernel_cache.hpp"
#include "hypervisor/host.hpp"
#include "hypervisor/kernel_args.hpp"
#include "hypervisor/listen_backlog.hpp"
#include "hypervisor/network.hpp"
#include "hypervisor/ports.hpp"
#include "hypervisor/runner.hpp"
#include "hypervisor/tsc.hpp"
#include "image/disk.hpp"
#include "image/firmware.hpp"
#include "instance/store.hpp"
#include "vm/accelerator.hpp"
#include "vm/detached.hpp"

#include <cctype>
#include <cstdio>
#include <memory>
#include <random>
#include <unistd.h>

namespace uk::cli {
namespace {

// Below this the kernel and uk-init do not come up (measured: docs/guest.md).
constexpr std::uint64_t minimum_memory_mib = 32;
constexpr unsigned maximum_cpus = 64; // the kernel's NR_CPUS

struct RunOptions {
    std::string target;
    bool detach = false;
    std::string boot = "direct";
    bool uefi = false;
    std::string disk_bus = "virtio";
    std::string instance_name;
    bool json = false;
    std::string ready_timeout = "120s";
    std::string net, tap, bridge, ip, gateway, netmask;
    std::vector<std::string> dns;
    CLI::Option* net_option = nullptr;
    CLI::Option* tap_option = nullptr;
    CLI::Option* bridge_option = nullptr;
    CLI::Option* ip_option = nullptr;
    CLI::Option* gateway_option = nullptr;
    CLI::Option* netmask_option = nullptr;
    std::string memory;
    unsigned cpus = 1;
    std::vector<std::string> ports;
    std::string accel;
    bool dry_run = false;
    ImageOptions image;
    CLI::Option* memory_option = nullptr;
    CLI::Option* cpus_option = nullptr;
    CLI::Option* ports_option = nullptr;
    CLI::Option* accel_option = nullptr;
};

bool looks_like_elf(const std::string& path)
{
    auto head = read_file_prefix(path, 4);
    return head && *head == "\177ELF";
}

std::string random_suffix()
{
    std::random_device device;
    return fmt::format("{:06x}", device() & 0xFFFFFF);
}

// Builds settings.program into the image store.
Result<std::filesystem::path> build_for_run(const config::Settings& settings, const KernelChoice& kernel,
                                            const Context& context)
{
    auto request = make_build_request(settings, kernel, "", context.environment);
    if (!request)
        return fail(request.error());
    auto built = image::build_image(*request);
    if (!built)
        return fail(built.error());
    return built->disk.path;
}

// An image from the target: a program is built first (into the store), an image file or
// an image name in the store is used as it is.
Result<std::filesystem::path> image_for(const std::string& target, const RunOptions& options,
                                        const config::Settings& settings, const KernelChoice& kernel,
                                        const Context& context)
{
    std::error_code ec;
    bool is_file = std::filesystem::is_regular_file(target, ec);
    bool bare_name = target.find('/') == std::string::npos;
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    auto stored = paths->images / (target + ".img");
    bool in_store = bare_name && image::check_image_name(target) && std::filesystem::is_regular_file(stored, ec);
    if ((is_file && looks_like_elf(target)) || (!is_file && !in_store && bare_name && find_in_path(target))) {
        auto with_program = settings; // the command line's program, found from here
        with_program.program = target;
        with_program.program_dir = ".";
        return build_for_run(with_program, kernel, context);
    }
    std::filesystem::path image;
    if (is_file) {
        if (!image::root_partuuid_of(target))
            return fail(ErrorKind::invalid_input, "{} is neither an x86-64 Linux program nor a uk image", target);
        image = target;
    } else if (in_store) {
        image = stored;
    } else if (bare_name) {
        return fail(ErrorKind::not_found,
                    "{} is neither a file nor an image in {}: give a program or image path, or build it first "
                    "with uk build",
                    target, paths->images.string());
    } else {
        return fail(ErrorKind::not_found, "{} does not exist", target);
    }
    if (options.image.shapes_image())
        return fail(ErrorKind::usage,
                    "-a, -e, --image-name, --compression, --sysroot and --strip shape an image as uk builds it; {} is already "
                    "an image: rebuild it with uk build to change them",
                    target);
    return image;
}

Result<config::Settings> run_settings(const RunOptions& options, const Context& context)
{
    auto overrides = options.image.overrides(context.environment);
    if (!overrides)
        return fail(overrides.error());
    if (options.memory_option->count())
        overrides->memory = options.memory;
    if (options.cpus_option->count())
        overrides->cpus = options.cpus;
    if (options.ports_option->count())
        overrides->ports = options.ports;
    if (options.accel_option->count())
        overrides->accel = options.accel;
    // -v and -q are read by main for every command; here they also decide the console,
    // over the config file's Verbose.
    if (log::verbose())
        overrides->verbose = true;
    if (log::quiet())
        overrides->verbose = false;
    return load_settings(options.image, *overrides);
}

hypervisor::NetworkRequest network_request(const RunOptions& options, const config::Settings& settings)
{
    hypervisor::NetworkRequest request;
    auto given = [](const CLI::Option* option, const std::string& value) {
        return option->count() ? std::optional<std::string>(value) : std::nullopt;
    };
    request.mode = given(options.net_option, options.net);
    request.tap = given(options.tap_option, options.tap);
    request.bridge = given(options.bridge_option, options.bridge);
    request.ip = given(options.ip_option, options.ip);
    request.gateway = given(options.gateway_option, options.gateway);
    request.netmask = given(options.netmask_option, options.netmask);
    request.dns = options.dns;
    request.ports = settings.ports;
    return request;
}

std::vector<std::string> published_ports(const hypervisor::Network& network)
{
    std::vector<std::string> out;
    if (const auto* user = std::get_if<hypervisor::UserNetwork>(&network))
        for (const auto& f : user->forwards)
            out.push_back(fmt::format("{}:{}->{}/{}", f.host_address, f.host_port, f.guest_port,
                                      f.protocol == hypervisor::Protocol::tcp ? "tcp" : "udp"));
    return out;
}

// A name for an instance from an image file's name: instance names allow fewer characters.
std::string instance_name_for(const std::filesystem::path& image)
{
    std::string base;
    for (char c : image.stem().string().substr(0, 32)) {
        char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool allowed = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '.' ||
                       lower == '_' || lower == '-';
        base += allowed ? lower : '-';
    }
    if (base.empty() || !std::isalnum(static_cast<unsigned char>(base[0])))
        base = "vm" + base;
    return base + "-" + random_suffix();
}

// Claims the instance name and runs the VM, attached or detached.
Result<int> launch(const RunOptions& options, const config::Settings& settings, const std::filesystem::path& image,
                   hypervisor::QemuConfig config, const hypervisor::NetworkPlan& network,
                   const hypervisor::AcceleratorDecision& accel, const instance::Store& store)
{
    auto ready_timeout = parse_duration(options.ready_timeout);
    if (!ready_timeout)
        return fail(ErrorKind::usage, "--ready-timeout {}", ready_timeout.error().message);
    auto name = options.instance_name.empty() ? instance_name_for(image) : options.instance_name;
    auto files = store.files(name);
    // The folder holds QEMU's control socket, whose path a Unix socket limits to 107 bytes.
    if (files.qmp_socket().string().size() > 107)
        return fail(ErrorKind::unavailable,
                    "the instance folder {} is too deep for QEMU's control socket (107 bytes at most): set UK_HOME "
                    "or XDG_STATE_HOME to a shorter path",
                    files.folder.string());
    config.qmp_socket = files.qmp_socket();
    if (config.uefi) // the VM's own copy of the UEFI variables, beside its other files
        config.uefi->variables = files.folder / "uefi-vars.fd";
    if (options.dry_run) {
        log::result(shell_quote(hypervisor::qemu_argv(config)));
        return exit_success;
    }
    if (!accel.warning.empty())
        log::warning(accel.warning);
    auto created = store.create(name);
    if (!created)
        return fail(created.error());
    if (config.uefi) {
        std::error_code ec;
        auto template_vars = hypervisor::find_uefi_firmware();
        if (!template_vars ||
            !std::filesystem::copy_file(template_vars->variables, config.uefi->variables, ec)) {
            (void)store.remove(name);
            return fail(ErrorKind::io, "cannot copy the UEFI variables to {}", config.uefi->variables.string());
        }
    }

    instance::Record record{
        .name = name,
        .image = std::filesystem::absolute(image),
        .created = instance::utc_now(),
        .detached = options.detach,
        .qemu_pid = 0,
        .memory_mib = config.memory_mib,
        .cpus = config.cpus,
        .accelerator = accel.accelerator == hypervisor::Accelerator::kvm ? "kvm" : "tcg",
        .network = network.description,
        .ports = published_ports(network.qemu),
    };
    if (options.detach) {
        if (auto saved = store.save(record); !saved) {
            (void)store.remove(name);
            return fail(saved.error());
        }
        auto tcp = hypervisor::tcp_forwards(network.qemu);
        auto self = std::filesystem::read_symlink("/proc/self/exe");
        auto started = vm::start_detached(store, record, hypervisor::run_request(config, files.console_log()),
                                          {.uk_executable = self,
                                           .ready_port = tcp.empty() ? nullptr : &tcp.front(),
                                           .ready_timeout = *ready_timeout});
        if (!started)
            return fail(started.error());
        if (options.json)
            log::result(instance::to_json(*started, instance::status_of(*started, files), files).dump(2));
        else
            log::result(name);
        return exit_success;
    }
    return run_attached(store, record, config, settings.verbose);
}

// --boot firmware: the image's own boot loader on q35, as a cloud would start it. The
// kernel's command line is the image's (DHCP), so uk passes none.
Result<int> run_firmware(const RunOptions& options, const config::Settings& settings, const std::string& target,
                         const hypervisor::NetworkPlan& network, std::uint64_t memory_mib,
                         const hypervisor::QemuBinary& qemu, const hypervisor::AcceleratorDecision& accel,
                         const std::optional<hypervisor::UefiFirmware>& uefi, const instance::Store& store,
                         const state::Paths& paths)
{
    if (network.address && network.description != "user")
        return fail(ErrorKind::usage, "--ip goes with --boot direct: a firmware-booted image asks DHCP");
    std::error_code ec;
    std::filesystem::path image = target;
    if (!std::filesystem::is_regular_file(image, ec)) {
        auto stored = paths.images / (target + ".img");
        if (target.find('/') != std::string::npos || !std::filesystem::is_regular_file(stored, ec))
            return fail(ErrorKind::not_found, "{} is neither an image file nor an image in {}", target,
                        paths.images.string());
        image = stored;
    }
    if (looks_like_elf(image.string()))
        return fail(ErrorKind::usage, "--boot firmware boots an image with its own boot loader: make one with uk image "
                                      "create {} -t raw",
                    target);
    auto format = image::detect_disk_format(image);
    if (!format)
        return fail(format.error());
    if (*format == "raw" && !image::has_boot_loader(image))
        return fail(ErrorKind::invalid_input, "{} has no boot loader: make a firmware-bootable image with uk image "
                                              "create -t raw",
                    image.string());
    hypervisor::QemuConfig config{
        .binary = qemu.path,
        .machine = hypervisor::Machine::q35,
        .accelerator = accel.accelerator,
        .memory_mib = static_cast<std::uint32_t>(memory_mib),
        .cpus = settings.cpus,
        .uefi = uefi,
        .drives = {{.file = std::filesystem::absolute(image),
                    .read_only = options.disk_bus != "nvme", // QEMU's NVMe cannot be read-only
                    .format = *format,
                    .bus = options.disk_bus == "scsi"   ? hypervisor::DiskBus::scsi
                           : options.disk_bus == "nvme" ? hypervisor::DiskBus::nvme
                                                        : hypervisor::DiskBus::virtio}},
        .network = network.qemu,
    };
    if (config.drives[0].bus == hypervisor::DiskBus::nvme)
        config.drives[0].snapshot = true; // writes go to a temporary overlay, never to the image
    return launch(options, settings, image, config, network, accel, store);
}

Result<int> run(const RunOptions& options, const Context& context)
{
    auto settings = run_settings(options, context);
    if (!settings)
        return fail(settings.error());
    auto target = options.target.empty() ? settings->program.value_or("") : options.target;
    if (target.empty())
        return fail(ErrorKind::usage, "nothing to run: give a program or image (uk run TARGET), or set Program in "
                                      "./uk.json or in the file given with -c");
    auto memory = parse_memory_mib(settings->memory);
    if (!memory)
        return fail(ErrorKind::usage, "--mem {}", memory.error().message);
    if (*memory < minimum_memory_mib)
        return fail(ErrorKind::usage, "--mem {} is below the {}M that uk's kernel needs to boot: give --mem {}M or more",
                    settings->memory, minimum_memory_mib, minimum_memory_mib);
    if (settings->cpus < 1 || settings->cpus > maximum_cpus)
        return fail(ErrorKind::usage, "--cpus {}: give 1 to {}", settings->cpus, maximum_cpus);
    auto network = hypervisor::plan_network(network_request(options, *settings));
    if (!network)
        return fail(network.error());
    if (auto timeout = parse_duration(options.ready_timeout); !timeout)
        return fail(ErrorKind::usage, "--ready-timeout {}", timeout.error().message);
    if (options.json && !options.detach)
        return fail(ErrorKind::usage, "--json goes with -d: an attached run prints the program's output");
    auto choice = hypervisor::parse_accelerator(settings->accel);
    if (!choice)
        return fail(choice.error());
    auto kernel_file = kernel_choice(*settings);
    if (!kernel_file)
        return fail(kernel_file.error());

    // What the host lacks, or a name already taken, is found before anything is built or
    // started.
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    instance::Store store(paths->instances);
    if (!options.instance_name.empty()) {
        if (auto valid = instance::check_instance_name(options.instance_name); !valid)
            return fail(valid.error());
        if (store.exists(options.instance_name))
            return fail(ErrorKind::unavailable,
                        "an instance named {} already exists: remove it (uk instance rm {}) or choose another --name",
                        options.instance_name, options.instance_name);
    }
    auto qemu = hypervisor::find_qemu(context.environment("UK_QEMU"), paths->cache);
    if (!qemu)
        return fail(qemu.error());
    bool firmware = options.boot == "firmware";
    auto accel = vm::choose_accelerator({.choice = *choice,
                                         .qemu = qemu->path,
                                         .machine = firmware ? hypervisor::Machine::q35 : hypervisor::Machine::microvm,
                                         .kernel = firmware ? std::filesystem::path() : kernel_file->path,
                                         .cache = paths->cache});
    if (!accel)
        return fail(accel.error());
    if (!options.dry_run) {
        Status host_ready;
        if (const auto* user = std::get_if<hypervisor::UserNetwork>(&network->qemu))
            host_ready = hypervisor::check_ports_free(user->forwards);
        else if (const auto* tap = std::get_if<hypervisor::TapNetwork>(&network->qemu))
            host_ready = hypervisor::check_tap(tap->device);
        else if (const auto* bridge = std::get_if<hypervisor::BridgeNetwork>(&network->qemu))
            host_ready = hypervisor::check_bridge(bridge->bridge, bridge->helper);
        if (!host_ready)
            return fail(host_ready.error());
    }

    if (!firmware && (options.uefi || options.disk_bus != "virtio"))
        return fail(ErrorKind::usage, "{} goes with --boot firmware", options.uefi ? "--uefi" : "--disk-bus");
    std::optional<hypervisor::UefiFirmware> uefi;
    if (options.uefi) {
        auto code = hypervisor::find_uefi_firmware();
        if (!code)
            return fail(code.error());
        uefi = *code;
    }
    if (firmware)
        return run_firmware(options, *settings, target, *network, *memory, *qemu, *accel, uefi, store, *paths);

    // Program from the config file: the config describes an image, built afresh each time.
    auto image = options.target.empty() ? build_for_run(*settings, *kernel_file, context)
                                        : image_for(target, options, *settings, *kernel_file, context);
    if (!image)
        return fail(image.error());
    auto partuuid = image::root_partuuid_of(*image);
    if (!partuuid)
        return fail(partuuid.error());
    auto kernel = kernel_file->path.empty() ? guest::direct_boot_kernel(paths->cache)
                                            : Result<std::filesystem::path>(std::filesystem::absolute(kernel_file->path));
    if (!kernel)
        return fail(kernel.error());

    hypervisor::GuestBoot boot{
        .machine = hypervisor::Machine::microvm,
        .accelerator = accel->accelerator,
        .root_device = "PARTUUID=" + *partuuid,
        .address = network->address,
        .dhcp = network->dhcp,
        .verbose = settings->verbose,
    };
    if (accel->accelerator == hypervisor::Accelerator::tcg) {
        boot.tsc_khz = hypervisor::host_tsc_khz();
        // lapic_timer_period is uk's own kernel patch; another kernel does not know it.
        if (kernel_file->path.empty())
            boot.kernel_hz = guest::kernel_record().hz;
    }
    hypervisor::QemuConfig config{
        .binary = qemu->path,
        .machine = boot.machine,
        .accelerator = accel->accelerator,
        .memory_mib = static_cast<std::uint32_t>(*memory),
        .cpus = settings->cpus,
        .kernel = *kernel,
        .kernel_args = hypervisor::guest_kernel_args(boot),
        .drives = {{.file = std::filesystem::absolute(*image), .read_only = true}},
        .network = network->qemu,
    };
    return launch(options, *settings, *image, config, *network, *accel, store);
}

} // namespace

Action declare_run(CLI::App& command, const Context& context)
{
    auto options = std::make_shared<RunOptions>();
    command.add_option("TARGET", options->target,
                       "A program (built first), an image file, or an image name (default: Program from the config)")
        ->type_name("");
    options->memory_option = command.add_option("-m,--mem", options->memory, "Guest memory, e.g. 64M or 1G (default 128M)")
                                 ->type_name("SIZE");
    options->cpus_option = command.add_option("--cpus", options->cpus, "Virtual CPUs (default 1)")->type_name("N");
    options->ports_option = command
                                .add_option("-p,--publish", options->ports,
                                            "Publish a port: [IP:]HOST[:GUEST][/udp], on 127.0.0.1 unless IP is given")
                                ->allow_extra_args(false)
                                ->type_name("PORT");
    options->accel_option =
        command.add_option("--accel", options->accel,
                           "auto (KVM when /dev/kvm opens and boots uk's kernel, checked once per host boot; else "
                           "TCG), kvm or tcg (default auto)")
            ->type_name("auto|kvm|tcg");
    command.add_flag("--dry-run", options->dry_run, "Print the QEMU command line and exit");
    command.add_flag("-d,--detach", options->detach,
                     "Start the VM in the background, print the instance's name and return once it runs (and its "
                     "first published TCP port answers)");
    command.add_option("--name", options->instance_name, "The instance's name (default: IMAGE-xxxxxx)")->type_name("NAME");
    command.add_option("--boot", options->boot,
                       "direct (default: uk's kernel straight into a microvm) or firmware (the image's own boot loader "
                       "on q35, as a cloud boots it; needs an image from uk image create)")
        ->check(CLI::IsMember({"direct", "firmware"}).description(""))
        ->type_name("direct|firmware");
    command.add_flag("--uefi", options->uefi, "With --boot firmware: UEFI (OVMF) instead of BIOS (SeaBIOS)");
    command.add_option("--disk-bus", options->disk_bus, "With --boot firmware: virtio (default), scsi or nvme")
        ->check(CLI::IsMember({"virtio", "scsi", "nvme"}).description(""))
        ->type_name("virtio|scsi|nvme");
    command.add_flag("--json", options->json, "With -d: print the instance as JSON (docs/json.md)");
    command.add_option("--ready-timeout", options->ready_timeout,
                       "With -d: how long to wait for the first published port, e.g. 30s (default 120s)")
        ->type_name("DURATION");
    options->net_option = command.add_option("--net", options->net, "user (default: QEMU's NAT, -p publishes ports), tap, "
                                                                     "bridge or none")
                              ->type_name("user|tap|bridge|none");
    options->tap_option = command.add_option("--tap", options->tap, "An existing tap device for --net tap")->type_name("TAP");
    options->bridge_option =
        command.add_option("--bridge", options->bridge, "A host bridge for --net bridge (through qemu-bridge-helper)")
                                 ->type_name("BRIDGE");
    options->ip_option =
        command.add_option("--ip", options->ip, "Tap/bridge: the guest's IPv4 address, A.B.C.D[/PREFIX] (default: DHCP)")
                             ->type_name("ADDRESS");
    options->gateway_option = command.add_option("--gateway", options->gateway, "Tap/bridge with --ip: the default route")
                                  ->type_name("ADDRESS");
    options->netmask_option =
        command.add_option("--netmask", options->netmask, "Tap/bridge with --ip: e.g. 255.255.255.0 (default /24)")
                                  ->type_name("MASK");
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
                   "Ctrl-C stops the VM gracefully (the program gets SIGTERM); twice stops it at once.");
    return [options, &context] { return run(*options, context); };
}

} // namespace uk::cli
