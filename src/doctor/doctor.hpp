// uk doctor: what uk will use on this machine and what is missing, as findings that each
// say how to fix what they report. Looking only: nothing is created or changed, except
// what a run would put in the cache too (QEMU's version, the KVM probe's answer and what
// the probe boots).
#pragma once

#include "core/arch.hpp"
#include "state/paths.hpp"

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace uk::doctor {

enum class Severity {
    ok,
    warning, // works, but slower, or an optional feature cannot be used
    error,   // uk run cannot work until this is fixed
};

struct Finding {
    std::string topic;   // "qemu", "accelerator", ... (docs/json.md lists them)
    Severity severity = Severity::ok;
    std::string summary; // one line: what uk will use, or what is wrong
    std::string fix;     // what to do; empty when nothing needs doing
    nlohmann::json details = nlohmann::json::object();
};

struct Report {
    std::vector<Finding> findings;
    bool has_errors() const;
};

// Where to look; tests point these at folders of their own.
struct Host {
    state::Environment environment;
    std::filesystem::path kvm_device = "/dev/kvm";
    std::filesystem::path cpuinfo = "/proc/cpuinfo";
    std::filesystem::path sys_module = "/sys/module"; // which KVM module is loaded
    std::filesystem::path tun_device = "/dev/net/tun";
    std::filesystem::path sys_class_net = "/sys/class/net";
    std::filesystem::path bridge_helper = "/usr/lib/qemu/qemu-bridge-helper";
    std::filesystem::path bridge_acl = "/etc/qemu/bridge.conf";
    std::filesystem::path ovmf_folder = "/usr/share/OVMF";
    std::filesystem::path aavmf_folder = "/usr/share/AAVMF"; // arm64 guests' UEFI
    // Whose QEMU uk cannot do without: the other architecture's programs are emulated,
    // and a missing QEMU for them is a warning.
    Arch arch = host_arch();
    // Below this much free space where images go, a warning.
    std::uint64_t low_disk_bytes = std::uint64_t{1} << 30;
};

Report examine(const Host& host);

std::string to_string(Severity severity); // "ok", "warning", "error"
nlohmann::json to_json(const Report& report);

} // namespace uk::doctor
