// uk run: what to boot (a program, built first; an image file; an image in the store),
// how (uk's kernel straight into a minimal machine, or the image's own boot loader
// through firmware, as a cloud boots it), on which accelerator and network, and then an
// attached run or a detached instance. The CLI declares the options and prints; this is
// the rest.
#pragma once

#include "app/attached.hpp"
#include "app/detached.hpp"
#include "config/merge.hpp"
#include "core/error.hpp"
#include "core/signals.hpp"
#include "instance/store.hpp"
#include "oci/pull.hpp"
#include "settings/settings.hpp"
#include "state/paths.hpp"
#include "vm/backend.hpp"
#include "vm/network.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uk::app {

struct RunRequest {
    // Empty: the config's Program, built afresh. An OCI or Docker image reference
    // (oci:..., docker://...) is pulled and built, or installed when it is a pushed uk image.
    std::string target;
    std::optional<std::filesystem::path> config_file;
    config::Overrides flags;
    bool flags_shape_image = false; // -a, -e, --image-name, ...: refused when the target is an image
    settings::BootMode boot = settings::BootMode::direct;
    bool uefi = false;
    std::optional<vm::DiskBus> disk_bus; // firmware boot only
    std::chrono::milliseconds ready_timeout{120'000};
    bool dry_run = false;
    bool tls_verify = true;                 // for a docker:// target
    oci::PullProgress* pull_progress = nullptr;
};

// What uk run shows, besides what an attached run shows.
class RunPresenter : public AttachedView {
public:
    // Whether the whole console is shown (the kernel's messages too), once the settings
    // (flags over the config's Verbose) say.
    virtual void show_whole_console(bool whole) = 0;
    // --dry-run: the hypervisor's command line, and nothing runs.
    virtual void command_line(const std::vector<std::string>& argv) = 0;
    // -d: the instance runs (and its first TCP port answered).
    virtual void detached(const instance::Record& record, const instance::Files& files) = 0;
    // --gdb: where the debugger attaches, and the files with the symbols (the program,
    // when uk knows it on this host; the kernel uk boots), before the VM starts.
    struct DebuggerHint {
        std::uint16_t port = 0;
        bool waiting = false;
        std::optional<std::filesystem::path> program;
        std::optional<std::filesystem::path> kernel;
    };
    virtual void debugger(const DebuggerHint& hint) = 0;
};

// Where things are on this host.
struct RunHost {
    state::Paths paths;
    std::filesystem::path working_dir; // where -v's relative host folders start
    std::filesystem::path kvm_device = "/dev/kvm";
    std::filesystem::path cpuinfo = "/proc/cpuinfo";
    std::filesystem::path meminfo = "/proc/meminfo";
    // Registry credentials for a docker:// target (oci/auth.hpp).
    state::Environment environment = [](const std::string&) { return std::optional<std::string>(); };
};

// The program's exit status (attached), 0 (detached, dry run), or the one-line error.
Result<int> run(const RunRequest& request, const RunHost& host, vm::Backend& backend, MonitorLauncher& monitors,
                RunPresenter& presenter, StopRequests& stops);

// A name for an instance from its image file's name: IMAGE-xxxxxx (instance names allow
// fewer characters than file names).
std::string instance_name_for(const std::filesystem::path& image);

} // namespace uk::app
