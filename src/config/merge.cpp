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
        if (c.sysroot)
            settings.sysroot = from_file(c, *c.sysroot);
        take(settings.strip, c.strip);
        if (c.kernel)
            settings.kernel = from_file(c, *c.kernel);
        take(settings.memory, c.run.memory);
        take(settings.cpus, c.run.cpus);
        settings.ports = c.run.ports;
        take(settings.accel, c.run.accel);
        take(settings.verbose, c.run.verbose);
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
    take(settings.sysroot, flags.sysroot);
    take(settings.strip, flags.strip);
    if (flags.kernel)
        settings.kernel = flags.kernel;
    take(settings.memory, flags.memory);
    take(settings.cpus, flags.cpus);
    take(settings.ports, flags.ports);
    take(settings.accel, flags.accel);
    take(settings.verbose, flags.verbose);
    return settings;
}

} // namespace uk::config
