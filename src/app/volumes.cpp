#include "app/volumes.hpp"

#include "core/log.hpp"
#include "core/units.hpp"
#include "state/names.hpp"
#include "volume/ext4.hpp"

#include <algorithm>
#include <set>

namespace uk::app {
namespace {

using settings::MountSpec;

// The most mounts uk-init takes (MAX_GUEST_MOUNTS).
constexpr std::size_t maximum_mounts = 32;

std::string joined(const std::vector<std::string>& names)
{
    std::string out;
    for (const auto& name : names)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

// Who has the volume `name` and what to do about it, for the message that refuses
// access to it: "instance web writes to it: stop it first (uk instance stop web)".
std::string holders(const instance::Store& instances, const std::string& name, const std::string& self,
                    bool offer_read_only)
{
    auto users = users_of(instances, name);
    std::erase_if(users, [&](const VolumeUser& user) { return user.instance == self; });
    // A VM that is still starting has no QEMU to show yet, so anyone listed will do.
    if (std::any_of(users.begin(), users.end(), [](const VolumeUser& user) { return user.running; }))
        std::erase_if(users, [](const VolumeUser& user) { return !user.running; });
    std::vector<std::string> writers, readers;
    for (const auto& user : users)
        (user.read_only ? readers : writers).push_back(user.instance);
    if (!writers.empty())
        return fmt::format("instance {} writes to it: stop it first (uk instance stop {})", writers.front(),
                           writers.front());
    if (!readers.empty())
        return fmt::format("instance {} {} it read-only: stop {} first (uk instance stop){}", joined(readers),
                           readers.size() > 1 ? "mount" : "mounts", readers.size() > 1 ? "them" : "it",
                           offer_read_only ? fmt::format(", or mount it read-only too (-v {}:PATH:ro)", name) : "");
    return "another VM that is starting or stopping has it: try again in a moment";
}

// e2fsck -p after an unclean stop (QEMU killed, the host down): the journal is replayed
// before the guest sees the volume, and read-only mounts find it consistent.
Status check_if_unclean(const volume::Store& volumes, const std::string& name, const volume::Cancelled& cancelled)
{
    auto summary = volume::read_ext4_summary(volumes.data_file(name));
    if (!summary)
        return fail(summary.error());
    if (summary->clean)
        return {};
    auto checked = volume::check_ext4(volumes.data_file(name), false, cancelled);
    if (!checked)
        return fail(checked.error());
    log::notice(fmt::format("volume {} was not unmounted cleanly (its VM was killed?): checked it with e2fsck -p: {}",
                            name, *checked));
    return {};
}

Result<volume::Lease> take_volume(const volume::Store& volumes, const instance::Store& instances,
                                  const std::string& name, const std::string& self, volume::Access access,
                                  const volume::Cancelled& cancelled)
{
    auto lock = volumes.lock_file(name);
    // The write lease first, even to read: only with the volume alone may it be checked.
    auto alone = volume::Lease::try_take(lock, volume::Access::read_write);
    if (!alone)
        return fail(alone.error());
    if (*alone) {
        if (auto checked = check_if_unclean(volumes, name, cancelled); !checked)
            return fail(checked.error());
        if (access == volume::Access::read_write)
            return std::move(**alone);
        alone->reset(); // to share it with other readers
    }
    auto shared = volume::Lease::try_take(lock, volume::Access::read_only);
    if (!shared)
        return fail(shared.error());
    if (!*shared || access == volume::Access::read_write)
        return fail(ErrorKind::unavailable, "volume {} is in use: {}", name,
                    holders(instances, name, self, access == volume::Access::read_write));
    return std::move(**shared);
}

} // namespace

std::vector<VolumeUser> users_of(const instance::Store& instances, const std::string& volume)
{
    std::vector<VolumeUser> users;
    for (const auto& record : instances.list())
        for (const auto& mount : record.mounts)
            if (mount.source_kind == MountSpec::Source::volume && mount.source == volume) {
                auto status = instance::status_of(record, instances.files(record.name));
                users.push_back({record.name, mount.read_only, instance::is_live(status.state)});
            }
    return users;
}

Status remove_volume(const volume::Store& volumes, const instance::Store& instances, const std::string& name,
                     bool force)
{
    if (auto valid = state::check_name("volume", name); !valid)
        return valid;
    if (!volumes.exists(name))
        return volumes.remove(name); // says there is none
    auto lease = volume::Lease::try_take(volumes.lock_file(name), volume::Access::read_write);
    if (!lease)
        return fail(lease.error());
    if (!*lease)
        return fail(ErrorKind::unavailable, "cannot remove volume {} while it is in use: {}", name,
                    holders(instances, name, "", false));
    if (!force) {
        std::vector<std::string> holders;
        std::string command;
        for (const auto& user : users_of(instances, name)) {
            holders.push_back(user.instance);
            command += " " + user.instance;
        }
        if (!holders.empty())
            return fail(ErrorKind::unavailable,
                        "volume {} is used by the stopped instance{} {}: remove {} first (uk instance rm{}), or give -f",
                        name, holders.size() > 1 ? "s" : "", joined(holders), holders.size() > 1 ? "them" : "it",
                        command);
    }
    return volumes.remove(name);
}

Result<volume::Volume> grow_volume(const volume::Store& volumes, const instance::Store& instances,
                                   const std::string& name, std::uint64_t size_bytes, const volume::Cancelled& cancelled)
{
    auto current = volumes.inspect(name);
    if (!current)
        return fail(current.error());
    if (auto sized = volume::check_size(size_bytes); !sized)
        return fail(sized.error());
    if (size_bytes < current->size_bytes)
        return fail(ErrorKind::usage, "volume {} is {}: volumes only grow (shrinking one could lose its data)", name,
                    binary_size(current->size_bytes));
    if (size_bytes == current->size_bytes)
        return current;
    auto lease = volume::Lease::try_take(volumes.lock_file(name), volume::Access::read_write);
    if (!lease)
        return fail(lease.error());
    if (!*lease)
        return fail(ErrorKind::unavailable, "cannot resize volume {} while it is in use: {}", name,
                    holders(instances, name, "", false));
    if (auto grown = volume::grow_ext4(volumes.data_file(name), size_bytes, cancelled); !grown)
        return fail(grown.error());
    return volumes.inspect(name);
}

Result<RunMounts> prepare_mounts(const std::vector<MountSpec>& mounts, const volume::Store& volumes,
                                 const std::filesystem::path& working_dir, bool dry_run,
                                 const volume::Cancelled& cancelled)
{
    if (mounts.size() > maximum_mounts)
        return fail(ErrorKind::usage, "{} mounts: a VM takes at most {}", mounts.size(), maximum_mounts);
    auto ordered = mounts;
    // A folder before what is mounted inside it ("/data" sorts before "/data/cache").
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.target < b.target; });
    // Everything is checked before any volume is made.
    std::set<std::string> volume_names;
    for (std::size_t i = 0; i < ordered.size(); i++) {
        auto& mount = ordered[i];
        if (i > 0 && ordered[i - 1].target == mount.target)
            return fail(ErrorKind::usage, "two mounts at {}: {} and {}", mount.target, ordered[i - 1].to_string(),
                        mount.to_string());
        if (mount.source_kind == MountSpec::Source::volume) {
            if (auto valid = state::check_name("volume", mount.source); !valid)
                return fail(valid.error());
            if (!volume_names.insert(mount.source).second)
                return fail(ErrorKind::usage, "volume {} is mounted twice: once is enough", mount.source);
            continue;
        }
        std::filesystem::path folder = mount.source;
        if (folder.is_relative())
            folder = working_dir / folder;
        folder = folder.lexically_normal();
        if (folder.string().size() > 1 && folder.string().ends_with('/'))
            folder = folder.parent_path();
        std::error_code ec;
        if (!std::filesystem::is_directory(folder, ec))
            return fail(ErrorKind::not_found, "{}: the host folder {} does not exist: create it, or correct the path",
                        mount.to_string(), folder.string());
        mount.source = folder.string();
    }

    RunMounts run;
    for (const auto& mount : ordered) {
        if (mount.source_kind == MountSpec::Source::volume) {
            if (!volumes.exists(mount.source) && !dry_run) {
                auto made = volumes.create(mount.source, volume::default_size_bytes, std::nullopt, cancelled);
                if (!made)
                    return fail(made.error());
                log::notice(fmt::format("volume {} did not exist: created it ({}; uk volume resize grows it)",
                                        mount.source, binary_size(made->size_bytes)));
            }
            auto serial = "uk-vol" + std::to_string(run.disks.size());
            run.disks.push_back({.file = volumes.data_file(mount.source), .read_only = mount.read_only, .serial = serial});
            run.guest_mounts.push_back({guest::GuestMount::Kind::volume, serial, mount.target, mount.read_only});
        } else {
            auto tag = "uk-share" + std::to_string(run.shared_folders.size());
            run.shared_folders.push_back({.folder = mount.source, .tag = tag, .read_only = mount.read_only});
            run.guest_mounts.push_back({guest::GuestMount::Kind::host_folder, tag, mount.target, mount.read_only});
        }
        run.mounts.push_back(mount);
    }
    return run;
}

Result<std::vector<volume::Lease>> take_volumes(const std::vector<MountSpec>& mounts, const volume::Store& volumes,
                                                const instance::Store& instances, const std::string& name,
                                                const volume::Cancelled& cancelled)
{
    std::vector<volume::Lease> leases;
    for (const auto& mount : mounts) {
        if (mount.source_kind != MountSpec::Source::volume)
            continue;
        if (!volumes.exists(mount.source))
            return fail(ErrorKind::not_found, "volume {} was removed before instance {} could start", mount.source, name);
        auto access = mount.read_only ? volume::Access::read_only : volume::Access::read_write;
        auto lease = take_volume(volumes, instances, mount.source, name, access, cancelled);
        if (!lease)
            return fail(lease.error());
        leases.push_back(std::move(*lease));
    }
    return leases;
}

} // namespace uk::app
