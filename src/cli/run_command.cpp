// uk run PROGRAM|IMAGE: boot it in a VM in the foreground; uk's exit status is the
// program's.
#include "cli/command.hpp"
#include "config/settings.hpp"
#include "cli/image_options.hpp"
#include "cli/terminal.hpp"
#include "core/exit_status.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "core/units.hpp"
#include "guest/embedded.hpp"
#include "guest/kernel_cache.hpp"
#include "hypervisor/host.hpp"
#include "hypervisor/kernel_args.hpp"
#include "hypervisor/ports.hpp"
#include "hypervisor/runner.hpp"
#include "hypervisor/tsc.hpp"
#include "image/disk.hpp"

#include <cstdio>
#include <fstream>
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
    std::string memory;
    unsigned cpus = 1;
    std::vector<std::string> ports;
    std::string accel;
    bool dry_run = false;
    bool verbose = false;
    ImageOptions image;
    CLI::Option* memory_option = nullptr;
    CLI::Option* cpus_option = nullptr;
    CLI::Option* ports_option = nullptr;
    CLI::Option* accel_option = nullptr;
    CLI::Option* verbose_option = nullptr;
};

// Shows the guest's console on stdout, minus what every healthy boot prints and what
// comes after the program's end (uk-init's status line, the power-off messages); all of
// it stays in the console log.
class ConsoleView final : public hypervisor::RunObserver {
public:
    explicit ConsoleView(bool verbose) : verbose_(verbose) {}

    void console_line(std::string_view line) override
    {
        if (verbose_) {
            print(line);
            return;
        }
        if (program_ended_)
            return;
        if (hypervisor::parse_exit_status_line(line)) {
            program_ended_ = true;
            // Output the program left without a final newline shares the status line.
            auto marker = line.rfind("uk-init: exit status ");
            if (marker > 0)
                print(line.substr(0, marker));
            return;
        }
        if (line == "PCI: Fatal: No config space access function found") // microvm has no PCI bus
            return;
        print(line);
    }

    void stopping(bool forced) override
    {
        print_notice(forced ? "stopping the VM now" : "stopping the VM (the program gets SIGTERM); press Ctrl-C again to stop it at once");
    }

private:
    static void print(std::string_view line)
    {
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }

    bool verbose_;
    bool program_ended_ = false;
};

bool looks_like_elf(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    return in && std::string_view(magic, 4) == "\177ELF";
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
                    "-a, -e, -n, --compression, --sysroot and --strip shape an image as uk builds it; {} is already "
                    "an image: rebuild it with uk build to change them",
                    target);
    return image;
}

Result<int> outcome_to_status(const hypervisor::RunOutcome& outcome, const std::filesystem::path& log)
{
    if (outcome.program_status)
        return *outcome.program_status;
    if (outcome.stop_requested)
        return fail(ErrorKind::interrupted, "stopped the VM before its program exited");
    const auto& errors = outcome.qemu_errors;
    if (errors.find("Could not set up host forwarding rule") != std::string::npos)
        return fail(ErrorKind::unavailable, "QEMU could not publish a port (it was taken just now?): choose another with -p");
    if (errors.find("kvm") != std::string::npos || errors.find("KVM") != std::string::npos) {
        auto first = errors.substr(0, errors.find('\n'));
        return fail(ErrorKind::unavailable, "QEMU could not use KVM ({}): try --accel tcg", first);
    }
    if (outcome.qemu_status != 0 && !errors.empty()) {
        auto first = errors.substr(0, errors.find('\n'));
        return fail(ErrorKind::unavailable, "QEMU failed: {}", first);
    }
    if (!outcome.panic_line.empty())
        return fail(ErrorKind::guest_failed, "the guest kernel panicked ({}); console log: {}", outcome.panic_line,
                    log.string());
    return fail(ErrorKind::guest_failed,
                "the VM ended before its program reported an exit status; console log: {}", log.string());
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
    if (options.verbose_option->count())
        overrides->verbose = options.verbose;
    return load_settings(options.image, *overrides);
}

Result<int> run(const RunOptions& options, const Context& context)
{
    auto settings = run_settings(options, context);
    if (!settings)
        return fail(settings.error());
    auto target = options.target.empty() ? settings->program.value_or("") : options.target;
    if (target.empty())
        return fail(ErrorKind::usage, "nothing to run: give a program or image (uk run TARGET), or set Program in ./uk.json or in the file given with -c");
    auto memory = parse_memory_mib(settings->memory);
    if (!memory)
        return fail(ErrorKind::usage, "--mem {}", memory.error().message);
    if (*memory < minimum_memory_mib)
        return fail(ErrorKind::usage, "--mem {} is below the {}M that uk's kernel needs to boot: give --mem {}M or more",
                    settings->memory, minimum_memory_mib, minimum_memory_mib);
    if (settings->cpus < 1 || settings->cpus > maximum_cpus)
        return fail(ErrorKind::usage, "--cpus {}: give 1 to {}", settings->cpus, maximum_cpus);
    hypervisor::UserNetwork network;
    for (const auto& spec : settings->ports) {
        auto forward = hypervisor::parse_port(spec);
        if (!forward)
            return fail(forward.error());
        network.forwards.push_back(*forward);
    }
    auto choice = hypervisor::parse_accelerator(settings->accel);
    if (!choice)
        return fail(choice.error());
    auto kernel_file = kernel_choice(*settings);
    if (!kernel_file)
        return fail(kernel_file.error());

    // What the host lacks is found before anything is built or started.
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    auto qemu = hypervisor::find_qemu(context.environment("UK_QEMU"), paths->cache);
    if (!qemu)
        return fail(qemu.error());
    auto accel = hypervisor::choose_accelerator(*choice);
    if (!accel)
        return fail(accel.error());
    if (!options.dry_run)
        if (auto free = hypervisor::check_ports_free(network.forwards); !free)
            return fail(free.error());

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

    // Instance folders hold the QMP socket, whose path a Unix socket limits to 107 bytes.
    auto instance = paths->instances / (image->stem().string().substr(0, 32) + "-" + random_suffix());
    if ((instance / "qmp.sock").string().size() > 107)
        return fail(ErrorKind::unavailable,
                    "the instance folder {} is too deep for QEMU's control socket (107 bytes at most): set UK_HOME "
                    "or XDG_STATE_HOME to a shorter path",
                    instance.string());
    hypervisor::GuestBoot boot{
        .machine = hypervisor::Machine::microvm,
        .accelerator = accel->accelerator,
        .root_partuuid = *partuuid,
        .address = hypervisor::user_network_address(),
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
        .network = network,
        .qmp_socket = instance / "qmp.sock",
    };
    if (options.dry_run) {
        print_result(hypervisor::shell_quote(hypervisor::qemu_argv(config)));
        return exit_success;
    }
    if (!accel->warning.empty())
        print_warning(accel->warning);
    if (auto made = state::ensure_directory(instance); !made)
        return fail(made.error());

    ConsoleView view(settings->verbose);
    auto outcome = hypervisor::run_vm({.qemu = config, .console_log = instance / "console.log"}, view);
    if (!outcome)
        return fail(outcome.error());
    auto status = outcome_to_status(*outcome, instance / "console.log");
    // An attached run leaves nothing behind, except the console log of a guest that
    // failed: the error message gives its path.
    std::error_code ec;
    if (!status && status.error().kind == ErrorKind::guest_failed)
        std::filesystem::remove(instance / "qmp.sock", ec);
    else
        std::filesystem::remove_all(instance, ec);
    return status;
}

} // namespace

Action declare_run(CLI::App& command, const Context& context)
{
    auto options = std::make_shared<RunOptions>();
    command.add_option("TARGET", options->target,
                       "A program (built first), an image file, or an image name (default: Program from the config)");
    options->memory_option = command.add_option("-m,--mem", options->memory, "Guest memory, e.g. 64M or 1G (default 128M)");
    options->cpus_option = command.add_option("--cpus", options->cpus, "Virtual CPUs (default 1)");
    options->ports_option = command
                                .add_option("-p,--publish", options->ports,
                                            "Publish a port: [IP:]HOST[:GUEST][/udp], on 127.0.0.1 unless IP is given")
                                ->allow_extra_args(false);
    options->accel_option =
        command.add_option("--accel", options->accel, "auto (KVM when usable, else TCG), kvm or tcg (default auto)");
    command.add_flag("--dry-run", options->dry_run, "Print the QEMU command line and exit");
    options->verbose_option =
        command.add_flag("-v,--verbose", options->verbose, "Show the kernel's messages and everything on the console");
    options->image.declare(command);
    command.footer("Examples:\n"
                   "  uk run ./server -p 8080                 # build, boot, publish 127.0.0.1:8080\n"
                   "  uk run server --mem 64M -p 18080:8080   # an image from the store\n"
                   "  uk run -c node.json -p 8080             # what the config file says, and a port\n"
                   "  uk run ./job -a --once; echo $?         # the program's exit status is uk's\n"
                   "Ctrl-C stops the VM gracefully (the program gets SIGTERM); twice stops it at once.");
    return [options, &context] { return run(*options, context); };
}

} // namespace uk::cli
