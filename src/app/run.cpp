#include "app/run.hpp"

#include "app/accelerator.hpp"
#include "app/build.hpp"
#include "app/from_image.hpp"
#include "app/volumes.hpp"
#include "core/exit_status.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "guest/embedded.hpp"
#include "guest/kernel_args.hpp"
#include "guest/kernel_cache.hpp"
#include "image/disk.hpp"
#include "image/firmware.hpp"
#include "image/inspect.hpp"
#include "state/image_store.hpp"
#include "state/names.hpp"
#include "vm/host_memory.hpp"
#include "vm/ports.hpp"
#include "vm/tsc.hpp"

#include <cctype>
#include <random>

namespace uk::app {
namespace {

bool looks_like_elf(const std::filesystem::path& path)
{
    auto head = read_file_prefix(path, 4);
    return head && *head == "\177ELF";
}

// Builds the settings' program into the image store.
Result<std::filesystem::path> build_into_store(const config::Settings& settings, const KernelChoice& kernel,
                                               const state::ImageStore& store)
{
    auto request = make_build_request(settings, kernel, {}, store);
    if (!request)
        return fail(request.error());
    auto built = app::build_image(*request);
    if (!built)
        return fail(built.error());
    return built->disk.path;
}

// The image to boot directly: the config's Program or a program target built first; an
// image file or an image in the store used as it is.
Result<std::filesystem::path> direct_boot_image(const RunRequest& request, const config::Settings& settings,
                                                const KernelChoice& kernel, const state::ImageStore& store)
{
    if (request.target.empty())
        return build_into_store(settings, kernel, store);
    const auto& target = request.target;
    std::error_code ec;
    bool is_file = std::filesystem::is_regular_file(target, ec);
    bool bare_name = target.find('/') == std::string::npos;
    bool in_store = bare_name && store.contains(target);
    if ((is_file && looks_like_elf(target)) || (!is_file && !in_store && bare_name && find_in_path(target))) {
        auto with_program = settings; // the command line's program, found from here
        with_program.program = target;
        with_program.program_dir = ".";
        return build_into_store(with_program, kernel, store);
    }
    std::filesystem::path image;
    if (is_file) {
        if (!image::root_partuuid_of(target))
            return fail(ErrorKind::invalid_input, "{} is neither a Linux program (x86-64 or arm64) nor a uk image", target);
        image = target;
    } else if (in_store) {
        image = store.file_of(target);
    } else if (bare_name) {
        return fail(ErrorKind::not_found,
                    "{} is neither a file nor an image in {}: give a program or image path, or build it first "
                    "with uk build",
                    target, store.folder().string());
    } else {
        return fail(ErrorKind::not_found, "{} does not exist", target);
    }
    if (request.flags_shape_image)
        return fail(ErrorKind::usage,
                    "-a, -e, --image-name, --compression, --sysroot, --strip and --strace shape an image as uk builds it; {} is "
                    "already an image: rebuild it with uk build to change them",
                    target);
    return image;
}

constexpr std::uint16_t default_gdb_port = 1234;

// The program's ELF on this host, for the debugger's symbols: the target when it is one,
// else the config's Program when it names a file.
std::optional<std::filesystem::path> host_program(const std::string& target, const config::Settings& settings)
{
    std::error_code ec;
    if (!target.empty()) {
        if (std::filesystem::is_regular_file(target, ec) && looks_like_elf(target))
            return std::filesystem::absolute(target, ec);
        return std::nullopt;
    }
    auto program = program_path(settings);
    if (program && std::filesystem::is_regular_file(*program, ec))
        return std::filesystem::absolute(*program, ec);
    return std::nullopt;
}

std::optional<std::filesystem::path> direct_kernel_of(const vm::VmSpec& spec)
{
    if (const auto* direct = std::get_if<vm::DirectBoot>(&spec.boot))
        return direct->kernel;
    return std::nullopt;
}

// An OCI or Docker image reference, made an image in the store: a pushed uk image's disk
// as it is, any other image built from its layers.
Result<std::filesystem::path> image_from_reference(const RunRequest& request, config::Settings settings,
                                                   const RunHost& host, const state::ImageStore& store)
{
    auto image = pull({.reference = request.target,
                       .tls_verify = request.tls_verify,
                       .environment = host.environment,
                       .progress = request.pull_progress},
                      host.paths);
    if (!image)
        return fail(image.error());
    auto name = settings.name.value_or(image::default_image_name(image->reference.short_name()));
    auto disk = install_container_disk(*image, name, store, host.paths);
    if (!disk)
        return fail(disk.error());
    if (*disk) {
        if (request.flags_shape_image)
            return fail(ErrorKind::usage,
                        "-a, -e, --compression, --sysroot, --strip and --strace shape an image as uk builds it; {} is a uk "
                        "image already: rebuild it with uk build to change them",
                        request.target);
        return **disk;
    }
    settings.program.reset(); // the image's Entrypoint, not the config's Program
    auto kernel = kernel_choice(settings);
    if (!kernel)
        return fail(kernel.error());
    auto prepared = prepare_image_build(*image, std::move(settings), std::move(*kernel), {}, store, host.paths);
    if (!prepared)
        return fail(prepared.error());
    auto built = app::build_image(prepared->request);
    if (!built)
        return fail(built.error());
    return built->disk.path;
}

// The image's architecture against --arch, and the accelerator for it: KVM runs guests
// of its host's own architecture only, so another one is emulated.
Result<vm::Accelerator> accelerator_for_image(const config::Settings& settings, const std::filesystem::path& image,
                                              Arch arch, vm::Accelerator accelerator)
{
    if (settings.arch && *settings.arch != arch)
        return fail(ErrorKind::usage, "--arch {}: {} is an {} image; leave --arch out", to_string(*settings.arch),
                    image.string(), to_string(arch));
    if (arch == host_arch())
        return accelerator;
    if (settings.accel == settings::AcceleratorChoice::kvm)
        return fail(ErrorKind::usage, "--accel kvm: {} is an {} image and this machine is {}; KVM runs guests of "
                                      "the host's own architecture only: leave --accel out (uk emulates it)",
                    image.string(), to_string(arch), to_string(host_arch()));
    return vm::Accelerator::tcg;
}

// uk's kernel straight into a minimal machine, the image's root as its disk.
Result<vm::VmSpec> direct_boot_spec(const RunRequest& request, const config::Settings& settings,
                                    const vm::NetworkPlan& network, const RunMounts& mounts,
                                    vm::Accelerator accelerator, const state::Paths& paths,
                                    const state::ImageStore& store)
{
    auto kernel_file = kernel_choice(settings);
    if (!kernel_file)
        return fail(kernel_file.error());
    auto image = direct_boot_image(request, settings, *kernel_file, store);
    if (!image)
        return fail(image.error());
    auto root = image::bootable_root(*image);
    if (!root)
        return fail(root.error());
    auto arch = root->arch;
    auto chosen = accelerator_for_image(settings, *image, arch, accelerator);
    if (!chosen)
        return fail(chosen.error());
    accelerator = *chosen;
    if (arch == Arch::arm64 && !kernel_file->path.empty())
        return fail(ErrorKind::usage, "--kernel {} takes an x86-64 kernel; {} is an arm64 image, which boots uk's own "
                                      "arm64 kernel: leave --kernel out",
                    kernel_file->path.string(), image->string());
    // An EROFS root is read in place: the image becomes the guest's persistent memory, on
    // a PC machine (QEMU's microvm gives memory devices no address).
    bool in_place = root->file_system == settings::RootFs::erofs;
    if (in_place && arch == Arch::arm64)
        return fail(ErrorKind::usage, "{} is an arm64 image with an EROFS root, which uk reads in place on x86-64 "
                                      "guests only: rebuild it with --root-fs squashfs",
                    image->string());
    auto kernel = kernel_file->path.empty()
                      ? guest::direct_boot_kernel(paths.cache, arch)
                      : Result<std::filesystem::path>(std::filesystem::absolute(kernel_file->path));
    if (!kernel)
        return fail(kernel.error());
    guest::GuestBoot boot{
        .arch = arch,
        .has_pci = in_place,
        .emulated = accelerator == vm::Accelerator::tcg,
        .root_device = "PARTUUID=" + root->partuuid,
        .root_file_system = settings::to_string(root->file_system),
        .root_in_place = in_place,
        .address = network.address,
        .dhcp = network.dhcp,
        .verbose = settings.verbose,
        .mounts = mounts.guest_mounts,
    };
    if (boot.emulated) {
        boot.tsc_khz = vm::emulated_tsc_khz();
        // lapic_timer_period is uk's own kernel patch; another kernel does not know it.
        if (kernel_file->path.empty())
            boot.kernel_hz = guest::kernel_record().hz;
    }
    auto command_line = guest::guest_kernel_args(boot);
    if (command_line.size() > guest::max_command_line)
        return fail(ErrorKind::usage,
                    "the mounts make the guest kernel's command line {} bytes long, over Linux's {}: use shorter guest "
                    "paths or fewer mounts",
                    command_line.size(), guest::max_command_line);
    std::vector<vm::Disk> disks;
    std::optional<vm::PersistentMemory> persistent_memory;
    if (in_place)
        persistent_memory = vm::PersistentMemory{std::filesystem::absolute(*image), root->image_bytes};
    else
        disks.push_back({.file = std::filesystem::absolute(*image), .read_only = true});
    disks.insert(disks.end(), mounts.disks.begin(), mounts.disks.end());
    return vm::VmSpec{
        .arch = arch,
        .accelerator = accelerator,
        .memory_mib = static_cast<std::uint32_t>(settings.memory.mib),
        .cpus = settings.cpus.value,
        .boot = vm::DirectBoot{*kernel, command_line},
        .disks = disks,
        .persistent_memory = persistent_memory,
        .shared_folders = mounts.shared_folders,
        .network = network.network,
    };
}

// The image's own boot loader through firmware, as a cloud would start it. The kernel's
// command line is the image's (DHCP), so uk passes none.
Result<vm::VmSpec> firmware_boot_spec(const RunRequest& request, const config::Settings& settings,
                                      const vm::NetworkPlan& network, vm::Accelerator accelerator,
                                      const state::ImageStore& store)
{
    if (network.address && network.description != "user")
        return fail(ErrorKind::usage, "--ip goes with --boot direct: a firmware-booted image asks DHCP");
    std::error_code ec;
    std::filesystem::path image = request.target;
    if (!std::filesystem::is_regular_file(image, ec)) {
        if (request.target.find('/') != std::string::npos || !store.contains(request.target))
            return fail(ErrorKind::not_found, "{} is neither an image file nor an image in {}", request.target,
                        store.folder().string());
        image = store.file_of(request.target);
    }
    if (looks_like_elf(image))
        return fail(ErrorKind::usage, "--boot firmware boots an image with its own boot loader: make one with uk image "
                                      "create {} -t raw",
                    request.target);
    auto format = image::detect_disk_format(image);
    if (!format)
        return fail(format.error());
    if (*format == "raw" && !image::has_boot_loader(image))
        return fail(ErrorKind::invalid_input, "{} has no boot loader: make a firmware-bootable image with uk image "
                                              "create -t raw",
                    image.string());
    // The root partition's type says the architecture of a raw (or fixed VHD) image; a
    // qcow2 or VMDK one is x86-64 unless --arch says otherwise.
    auto arch = settings.arch.value_or(Arch::amd64);
    if (*format == "raw" || *format == "vpc") {
        auto root = image::bootable_root(image);
        if (!root)
            return fail(root.error());
        arch = root->arch;
    }
    auto chosen = accelerator_for_image(settings, image, arch, accelerator);
    if (!chosen)
        return fail(chosen.error());
    accelerator = *chosen;
    vm::FirmwareBoot firmware; // UEFI is added by run(), which knows the instance's folder
    auto bus = request.disk_bus.value_or(vm::DiskBus::virtio);
    return vm::VmSpec{
        .arch = arch,
        .accelerator = accelerator,
        .memory_mib = static_cast<std::uint32_t>(settings.memory.mib),
        .cpus = settings.cpus.value,
        .boot = firmware,
        .disks = {{.file = std::filesystem::absolute(image),
                   .read_only = bus != vm::DiskBus::nvme, // QEMU's NVMe cannot be read-only
                   .format = *format,
                   .bus = bus,
                   .snapshot = bus == vm::DiskBus::nvme}}, // writes go to a temporary overlay, never to the image
        .network = network.network,
    };
}

// arm64 machines boot through UEFI only (AAVMF); x86-64 ones when --uefi says so, or when
// the image has no BIOS boot code (made where Debian has no syslinux: image/firmware.hpp).
bool boots_through_uefi(const RunRequest& request, const vm::VmSpec& spec)
{
    if (request.uefi || spec.arch == Arch::arm64)
        return true;
    const auto& disk = spec.disks.front();
    return (disk.format == "raw" || disk.format == "vpc") && !image::has_bios_boot_code(disk.file);
}

std::string random_suffix()
{
    std::random_device device;
    return fmt::format("{:06x}", device() & 0xFFFFFF);
}

std::string network_description(const vm::NetworkPlan& network) { return network.description; }

} // namespace

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

Result<int> run(const RunRequest& request, const RunHost& host, vm::Backend& backend, MonitorLauncher& monitors,
                RunPresenter& presenter, StopRequests& stops)
{
    auto settings = load_settings(request.config_file, request.flags);
    if (!settings)
        return fail(settings.error());
    presenter.show_whole_console(settings->verbose);
    if (request.target.empty() && !settings->program)
        return fail(ErrorKind::usage, "nothing to run: give a program or image (uk run TARGET), or set Program in "
                                      "./uk.json or in the file given with -c");
    if (settings->memory.mib < guest::minimum_memory_mib)
        return fail(ErrorKind::usage, "--mem {} is below the {}M that uk's kernel needs to boot: give --mem {}M or more",
                    settings->memory.to_string(), guest::minimum_memory_mib, guest::minimum_memory_mib);
    if (auto host_mib = vm::host_memory_mib(host.meminfo); host_mib && settings->memory.mib > *host_mib)
        return fail(ErrorKind::usage, "--mem {} is more than this machine's {} of memory: give --mem {}M or less",
                    settings->memory.to_string(), settings::MemorySize{*host_mib}.to_string(), *host_mib);
    auto network = vm::plan_network({.mode = settings->network.mode,
                                     .tap = settings->network.tap,
                                     .bridge = settings->network.bridge,
                                     .ip = settings->network.ip,
                                     .gateway = settings->network.gateway,
                                     .netmask = settings->network.netmask,
                                     .ipv6 = settings->network.ipv6,
                                     .dns = settings->dns,
                                     .ports = settings->ports});
    if (!network)
        return fail(network.error());
    bool firmware = request.boot == settings::BootMode::firmware;
    if (!firmware && (request.uefi || request.disk_bus))
        return fail(ErrorKind::usage, "{} goes with --boot firmware", request.uefi ? "--uefi" : "--disk-bus");
    if (firmware && request.target.empty())
        return fail(ErrorKind::usage, "--boot firmware boots an image: give it (uk run --boot firmware IMAGE)");
    if (firmware && !settings->mounts.empty())
        return fail(ErrorKind::usage, "-v {} goes with --boot direct: a firmware-booted image starts with its own "
                                      "kernel command line, which cannot name mounts",
                    settings->mounts.front().to_string());

    // What the host lacks, or a name already taken, is found before anything is built or
    // started.
    instance::Store instances(host.paths.instances);
    state::ImageStore images(host.paths.images);
    volume::Store volumes(host.paths.volumes);
    auto wanted_name = settings->instance_name.value_or("");
    if (!wanted_name.empty()) {
        if (auto valid = state::check_name("instance", wanted_name); !valid)
            return fail(valid.error());
        if (instances.exists(wanted_name))
            return fail(ErrorKind::unavailable,
                        "an instance named {} already exists: remove it (uk instance rm {}) or choose another --name",
                        wanted_name, wanted_name);
    }
    auto accel = choose_accelerator(backend, {.choice = settings->accel,
                                              .firmware_machine = firmware,
                                              .kernel = firmware || !settings->kernel
                                                            ? std::filesystem::path()
                                                            : std::filesystem::path(*settings->kernel),
                                              .cache = host.paths.cache,
                                              .kvm_device = host.kvm_device,
                                              .cpuinfo = host.cpuinfo});
    if (!accel)
        return fail(accel.error());
    if (!request.dry_run) {
        Status host_ready;
        if (const auto* user = std::get_if<vm::UserNetwork>(&network->network))
            host_ready = vm::check_ports_free(user->ports);
        else if (const auto* tap = std::get_if<vm::TapNetwork>(&network->network))
            host_ready = vm::check_tap(tap->device);
        else if (const auto* bridge = std::get_if<vm::BridgeNetwork>(&network->network))
            host_ready = vm::check_bridge(bridge->bridge, bridge->helper);
        if (!host_ready)
            return fail(host_ready.error());
    }

    if (settings->restart.when != settings::RestartPolicy::When::no && !settings->detach) {
        if (request.flags.restart)
            return fail(ErrorKind::usage, "--restart {} goes with -d: a detached instance's monitor restarts it, while "
                                          "an attached run ends with its program",
                        settings::to_string(settings->restart));
        log::notice(fmt::format("Restart \"{}\" in the config applies to detached instances (uk run -d); this "
                                "run is attached and ends with its program",
                                settings::to_string(settings->restart)));
    }
    if (settings->gdb_wait && !settings->gdb_port)
        settings->gdb_port = default_gdb_port;
    if (settings->gdb_port && !request.dry_run)
        if (auto free = vm::check_debugger_port(*settings->gdb_port); !free)
            return fail(free.error());

    auto cancelled = [] { return stop_requested(); };
    auto mounts = prepare_mounts(settings->mounts, volumes, host.working_dir, request.dry_run, cancelled);
    if (!mounts)
        return fail(mounts.error());
    // From here on an image reference is the image file it became.
    RunRequest boot_request = request;
    if (oci::is_image_reference(request.target)) {
        auto file = image_from_reference(request, *settings, host, images);
        if (!file)
            return fail(file.error());
        boot_request.target = file->string();
        boot_request.flags_shape_image = false;
    }
    auto spec = firmware ? firmware_boot_spec(boot_request, *settings, *network, accel->accelerator, images)
                         : direct_boot_spec(boot_request, *settings, *network, *mounts, accel->accelerator, host.paths,
                                            images);
    if (!spec)
        return fail(spec.error());
    auto image = vm::boot_image(*spec);
    auto name = wanted_name.empty() ? instance_name_for(image) : wanted_name;
    auto files = instances.files(name);
    // The folder holds the VM's control socket, whose path a Unix socket limits to 107 bytes.
    if (files.qmp_socket().string().size() > 107)
        return fail(ErrorKind::unavailable,
                    "the instance folder {} is too deep for the VM's control socket (107 bytes at most): set UK_HOME "
                    "or XDG_STATE_HOME to a shorter path",
                    files.folder.string());
    spec->control_socket = files.qmp_socket();
    spec->agent_socket = files.agent_socket();
    if (settings->gdb_port)
        spec->debugger = vm::Debugger{*settings->gdb_port, settings->gdb_wait};
    if (auto* boot = std::get_if<vm::FirmwareBoot>(&spec->boot); boot && boots_through_uefi(request, *spec)) {
        auto code = backend.uefi_firmware(spec->arch);
        if (!code)
            return fail(code.error());
        // The VM's own copy of the UEFI variables, beside its other files.
        boot->uefi = vm::UefiFirmware{code->code, files.folder / "uefi-vars.fd"};
    }
    if (request.dry_run) {
        presenter.command_line(backend.command_line(*spec));
        return exit_success;
    }
    if (auto created = instances.create(name); !created)
        return fail(created.error());
    if (auto* boot = std::get_if<vm::FirmwareBoot>(&spec->boot); boot && boot->uefi) {
        std::error_code ec;
        auto template_vars = backend.uefi_firmware(spec->arch);
        if (!template_vars || !std::filesystem::copy_file(template_vars->variables, boot->uefi->variables, ec)) {
            (void)instances.remove(name);
            return fail(ErrorKind::io, "cannot copy the UEFI variables to {}", boot->uefi->variables.string());
        }
    }

    instance::Record record{
        .name = name,
        .image = std::filesystem::absolute(image),
        .created = instance::utc_now(),
        .detached = settings->detach,
        .qemu_pid = 0,
        .memory_mib = spec->memory_mib,
        .cpus = spec->cpus,
        .accelerator = accel->accelerator == vm::Accelerator::kvm ? "kvm" : "tcg",
        .network = network_description(*network),
        .ports = {},
        .mounts = mounts->mounts,
    };
    if (const auto* user = std::get_if<vm::UserNetwork>(&spec->network))
        for (const auto& port : user->ports)
            record.ports.push_back(port.to_string());
    if (spec->debugger)
        record.gdb_port = spec->debugger->port;
    if (settings->detach)
        record.restart = settings->restart;
    if (auto saved = instances.save(record); !saved) {
        (void)instances.remove(name);
        return fail(saved.error());
    }
    // Locked while the VM runs; a detached instance's monitor takes them over.
    auto leases = take_volumes(record.mounts, volumes, instances, name, cancelled);
    if (!leases) {
        (void)instances.remove(name);
        return fail(leases.error());
    }
    // Said once nothing else can refuse the run, so that a refusal stays one line.
    if (!accel->warning.empty())
        log::warning(accel->warning);
    if (spec->debugger)
        presenter.debugger({.port = spec->debugger->port,
                            .waiting = spec->debugger->wait,
                            .program = host_program(boot_request.target, *settings),
                            .kernel = direct_kernel_of(*spec)});
    if (!settings->detach)
        return run_attached(instances, record, *spec, backend, presenter, stops);
    leases->clear();
    auto tcp = vm::tcp_ports(spec->network);
    // A guest halted for gdb answers nothing until the debugger lets it go.
    bool halted = spec->debugger && spec->debugger->wait;
    auto started = start_detached(instances, record, *spec, backend, monitors,
                                  {.ready_port = tcp.empty() || halted ? std::nullopt : std::optional(tcp.front()),
                                   .ready_timeout = request.ready_timeout});
    if (!started)
        return fail(started.error());
    presenter.detached(*started, files);
    return exit_success;
}

} // namespace uk::app
