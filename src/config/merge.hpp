// What uk build and uk run act on: the config file merged with the command line, in one
// order everywhere (flags > config file > defaults), tested as a pure function.
#pragma once

#include "config/config.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace uk::config {

// What the command line said; empty means the flag was not given.
struct Overrides {
    std::optional<std::string> program;
    std::optional<std::string> name;
    std::optional<std::vector<std::string>> args;      // -a (any -a replaces Args)
    std::vector<std::pair<std::string, std::string>> env; // -e (each replaces its key)
    std::optional<settings::Compression> compression;
    std::optional<settings::RootFs> root_fs;
    std::optional<Arch> arch;
    std::optional<std::string> sysroot;
    std::optional<bool> strip;
    std::optional<std::vector<std::string>> strace; // --strace[=OPTS]
    std::optional<std::string> kernel;
    std::optional<settings::MemorySize> memory;
    std::optional<settings::CpuCount> cpus;
    std::optional<std::vector<settings::PortMapping>> ports; // -p (any -p replaces Ports and UDPPorts)
    std::optional<settings::AcceleratorChoice> accel;
    std::optional<bool> verbose;
    std::optional<std::string> instance_name; // --name
    std::optional<bool> detach;               // -d
    std::optional<std::uint16_t> gdb_port;    // --gdb[=PORT]
    bool gdb_wait = false;                    // --gdb-wait
    std::optional<settings::RestartPolicy> restart; // --restart
    // --net, --tap, --bridge replace the file's network mode together; --ip, --gateway,
    // --netmask, --ip6 replace one value each.
    NetworkSettings network;
    std::vector<std::string> dns;
    // -v: each replaces the file's mount at the same guest path, or adds one. A relative
    // host folder stays relative (to where uk runs).
    std::vector<settings::MountSpec> mounts;
};

struct Settings {
    std::optional<std::string> program;   // resolved against the config's folder
    std::filesystem::path program_dir = "."; // where a bare program name is a file first
    std::optional<std::string> name;      // -n, RunConfig.Imagename
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;
    std::filesystem::path base_dir = "."; // for Files, Dirs, MapDirs
    std::vector<std::string> files;
    std::vector<std::string> dirs;
    std::vector<std::pair<std::string, std::string>> map_dirs;
    std::vector<std::string> name_servers;
    std::optional<settings::MemorySize> writable_root_size;
    bool readonly_root = false;
    settings::Compression compression = settings::Compression::automatic;
    settings::RootFs root_fs = settings::RootFs::squashfs;
    std::optional<Arch> arch; // said by the user; the program's ELF machine decides otherwise
    std::string sysroot = "/";
    bool strip = false;
    std::optional<std::vector<std::string>> strace; // run the program under strace, with these options
    std::optional<std::string> kernel;
    settings::MemorySize memory{128};
    settings::CpuCount cpus{1};
    std::vector<settings::PortMapping> ports;
    settings::AcceleratorChoice accel = settings::AcceleratorChoice::automatic;
    bool verbose = false;
    std::optional<std::string> instance_name;
    std::optional<std::uint16_t> gdb_port; // QEMU's gdb stub on 127.0.0.1
    bool gdb_wait = false;                 // the guest halted until gdb continues
    settings::RestartPolicy restart;       // for a detached instance's monitor
    bool detach = false;
    NetworkSettings network;
    std::vector<std::string> dns;
    std::vector<settings::MountSpec> mounts;
};

Settings merge(const std::optional<Config>& file, const Overrides& flags);

} // namespace uk::config
