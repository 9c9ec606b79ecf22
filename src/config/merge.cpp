#include "config/merge.hpp"

#include <algorithm>

namespace uk::config {
namespace {

// A path from the config file is relative to the file's folder; one from the command
// line stays relative to where uk runs.
std::string from_file(const Config& config, const std::string& path)
{
    if (path.starts_with("/"))
        return path;
    return (config.base_dir / path).lexically_normal().string();
}

template <class T>
void take(T& target, const std::optional<T>& value)
{
    if (value)
        target = *value;
}

// The network mode comes whole from one side; addresses one by one. The file's addresses
// count only on a bridge or a tap (config.cpp warns about them otherwise).
void merge_network(NetworkSettings& file, const NetworkSettings& flags)
{
    if (flags.mode || flags.tap || flags.bridge) {
        file.mode = flags.mode;
        file.tap = flags.tap;
        file.bridge = flags.bridge;
    }
    auto mode = file.mode.value_or(file.tap ? "tap" : file.bridge ? "bridge" : "user");
    if (mode != "tap" && mode != "bridge")
        file.ip = file.gateway = file.netmask = file.ipv6 = std::nullopt;
    for (auto field : {&NetworkSettings::ip, &NetworkSettings::gateway, &NetworkSettings::netmask, &NetworkSettings::ipv6})
        if (flags.*field)
            file.*field = flags.*field;
}

} // namespace

Settings merge(const std::optional<Config>& file, const Overrides& flags)
{
    Settings settings;
    if (file) {
        const auto& c = *file;
        if (c.program) {
            // A bare name ("node") stays bare: a file of that name in the file's folder,
            // else a command in PATH.
            bool bare = c.program->find('/') == std::string::npos;
            settings.program = bare ? *c.program : from_file(c, *c.program);
            settings.program_dir = c.base_dir;
        }
        settings.name = c.run.image_name;
        if (c.args)
            settings.args = *c.args;
        settings.env = c.env;
        settings.base_dir = c.base_dir;
        settings.files = c.files;
        settings.dirs = c.dirs;
        settings.map_dirs = c.map_dirs;
        settings.name_servers = c.name_servers;
        settings.writable_root_size = c.base_volume_size;
        take(settings.readonly_root, c.readonly_root);
        take(settings.compression, c.compression);
        take(settings.root_fs, c.root_fs);
        if (c.arch)
            settings.arch = c.arch;
        if (c.sysroot)
            settings.sysroot = from_file(c, *c.sysroot);
        take(settings.strip, c.strip);
        settings.strace = c.strace;
        if (c.kernel)
            settings.kernel = from_file(c, *c.kernel);
        take(settings.memory, c.run.memory);
        take(settings.cpus, c.run.cpus);
        settings.ports = c.run.ports;
        take(settings.accel, c.run.accel);
        take(settings.verbose, c.run.verbose);
        settings.instance_name = c.run.instance_name;
        take(settings.detach, c.run.detach);
        settings.gdb_port = c.run.gdb_port;
        if (c.run.restart)
            settings.restart = *c.run.restart;
        else if (c.reboot_on_exit.value_or(false))
            settings.restart = {settings::RestartPolicy::When::on_failure, std::nullopt};
        settings.network = c.run.network;
        for (auto mount : c.mounts) {
            if (mount.source_kind == settings::MountSpec::Source::host_folder)
                mount.source = from_file(c, mount.source);
            settings.mounts.push_back(mount);
        }
    }
    if (flags.program) {
        settings.program = flags.program;
        settings.program_dir = ".";
    }
    if (flags.name)
        settings.name = flags.name;
    take(settings.args, flags.args);
    for (const auto& [key, value] : flags.env) {
        auto existing = std::find_if(settings.env.begin(), settings.env.end(), [&](const auto& p) { return p.first == key; });
        if (existing != settings.env.end())
            existing->second = value;
        else
            settings.env.emplace_back(key, value);
    }
    take(settings.compression, flags.compression);
    take(settings.root_fs, flags.root_fs);
    if (flags.arch)
        settings.arch = flags.arch;
    take(settings.sysroot, flags.sysroot);
    take(settings.strip, flags.strip);
    if (flags.strace)
        settings.strace = flags.strace;
    if (flags.kernel)
        settings.kernel = flags.kernel;
    take(settings.memory, flags.memory);
    take(settings.cpus, flags.cpus);
    take(settings.ports, flags.ports);
    take(settings.accel, flags.accel);
    take(settings.verbose, flags.verbose);
    if (flags.instance_name)
        settings.instance_name = flags.instance_name;
    take(settings.detach, flags.detach);
    if (flags.gdb_port)
        settings.gdb_port = flags.gdb_port;
    settings.gdb_wait = flags.gdb_wait;
    take(settings.restart, flags.restart);
    merge_network(settings.network, flags.network);
    settings.dns = flags.dns;
    // A flag replaces the file's mount at its path; two flags at one path stay two, for
    // the run to refuse.
    std::erase_if(settings.mounts, [&](const settings::MountSpec& from_file) {
        return std::any_of(flags.mounts.begin(), flags.mounts.end(),
                           [&](const auto& flag) { return flag.target == from_file.target; });
    });
    settings.mounts.insert(settings.mounts.end(), flags.mounts.begin(), flags.mounts.end());
    return settings;
}

} // namespace uk::config
