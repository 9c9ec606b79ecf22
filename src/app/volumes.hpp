// Volumes and host folders, above the store: what uk volume does (with the instances
// that use each volume in mind), and what a run needs of its mounts (volumes made when
// missing, checked after an unclean stop, locked while the VM runs).
#pragma once

#include "core/error.hpp"
#include "guest/kernel_args.hpp"
#include "instance/store.hpp"
#include "settings/settings.hpp"
#include "vm/spec.hpp"
#include "volume/lease.hpp"
#include "volume/store.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uk::app {

// An instance whose record names a volume.
struct VolumeUser {
    std::string instance;
    bool read_only = false;
    bool running = false;
};
std::vector<VolumeUser> users_of(const instance::Store& instances, const std::string& volume);

// uk volume rm: refused while a VM has it; with a stopped instance's record naming it,
// refused unless forced.
Status remove_volume(const volume::Store& volumes, const instance::Store& instances, const std::string& name,
                     bool force);

// uk volume resize: grows a volume no VM has.
Result<volume::Volume> grow_volume(const volume::Store& volumes, const instance::Store& instances,
                                   const std::string& name, std::uint64_t size_bytes, const volume::Cancelled& cancelled);

// A run's mounts as the VM and the guest take them.
struct RunMounts {
    std::vector<settings::MountSpec> mounts; // host folders absolute, for the record
    std::vector<vm::Disk> disks;
    std::vector<vm::SharedFolder> shared_folders;
    std::vector<guest::GuestMount> guest_mounts;
};

// Checks and resolves the mounts (relative host folders from `working_dir`); creates the
// volumes that do not exist yet, with a notice, unless `dry_run`.
Result<RunMounts> prepare_mounts(const std::vector<settings::MountSpec>& mounts, const volume::Store& volumes,
                                 const std::filesystem::path& working_dir, bool dry_run,
                                 const volume::Cancelled& cancelled);

// Locks an instance's volumes for its VM (instance `name` is the one taking them), and
// checks each after an unclean stop first, with a notice. Held while the result lives.
Result<std::vector<volume::Lease>> take_volumes(const std::vector<settings::MountSpec>& mounts,
                                                const volume::Store& volumes, const instance::Store& instances,
                                                const std::string& name, const volume::Cancelled& cancelled);

} // namespace uk::app
