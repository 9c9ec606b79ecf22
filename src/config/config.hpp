// The config file: JSON with ops's field names where ops has the concept, so an ops
// config.json works as it is, plus uk's own fields (docs/config.md lists them all).
// Reading is strict: an unknown field, a wrong type or a bad value is an error naming
// the file, line, column and field path, with a suggestion for near-misses.
#pragma once

#include "core/error.hpp"
#include "settings/settings.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace uk::config {

// The guest's network as ops's RunConfig says it: Bridged + BridgeName, TapName,
// IPAddress, Gateway, NetMask. Values are checked as they are read; whether they fit
// together is decided once, with the flags, when the network is planned.
struct NetworkSettings {
    std::optional<std::string> mode; // "bridge" (Bridged) or "tap" (TapName alone)
    std::optional<std::string> tap;
    std::optional<std::string> bridge;
    std::optional<std::string> ip;
    std::optional<std::string> gateway;
    std::optional<std::string> netmask;
    std::optional<std::string> ipv6;
    bool operator==(const NetworkSettings&) const = default;
};

struct RunSettings {
    std::optional<settings::MemorySize> memory;
    std::optional<settings::CpuCount> cpus;
    std::vector<settings::PortMapping> ports; // Ports, then UDPPorts
    std::optional<settings::AcceleratorChoice> accel; // ops's true/false mean auto/tcg
    std::optional<bool> verbose;
    std::optional<std::string> image_name;  // ops: RunConfig.Imagename
    std::optional<std::string> instance_name; // ops: RunConfig.InstanceName (uk run --name)
    std::optional<bool> detach;               // ops: RunConfig.Background (uk run -d)
    std::optional<std::uint16_t> gdb_port;    // ops: RunConfig.GdbPort (uk run --gdb=PORT)
    std::optional<settings::RestartPolicy> restart; // RunConfig.Restart (uk run --restart)
    NetworkSettings network;
};

struct Config {
    std::filesystem::path file;             // where it was read from
    std::filesystem::path base_dir;         // relative paths in it start here

    std::optional<std::string> program;
    std::optional<std::vector<std::string>> args;
    std::vector<std::pair<std::string, std::string>> env; // in the file's order
    std::vector<std::string> files;
    std::vector<std::string> dirs;
    std::vector<std::pair<std::string, std::string>> map_dirs; // host glob -> guest folder
    std::vector<std::string> name_servers;
    std::optional<settings::MemorySize> base_volume_size; // the writable root's size
    RunSettings run;
    // Volumes and host folders, in the file's order: ops's Mounts ({"NAME": "/path"}, and
    // RunConfig.Mounts ["NAME:/path"]) and uk's own Volumes (-v's forms). A relative host
    // folder is relative to base_dir, as Files are.
    std::vector<settings::MountSpec> mounts;

    // uk's own
    std::optional<std::string> kernel;
    std::optional<bool> readonly_root;
    std::optional<settings::Compression> compression;
    std::optional<settings::RootFs> root_fs;
    std::optional<Arch> arch;
    std::optional<std::string> sysroot;
    std::optional<bool> strip;
    std::optional<std::vector<std::string>> strace; // uk run --strace: its options
    std::optional<bool> reboot_on_exit; // ops's RebootOnExit: true reads as --restart on-failure

    // ops fields uk reads but has no use for, one line each, for the CLI to print.
    std::vector<std::string> warnings;
};

// Reads `text` as the config file `file`.
Result<Config> parse_config(std::string_view text, const std::filesystem::path& file);

// -c FILE when given (it must exist), else ./uk.json when it exists, else no config.
Result<std::optional<Config>> load_config(const std::optional<std::filesystem::path>& explicit_file,
                                          const std::filesystem::path& working_dir);

} // namespace uk::config
