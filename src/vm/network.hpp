// The guest's network as `uk run` options describe it (--net, --tap, --bridge, --ip,
// --gateway, --netmask, --ip6, --dns, -p): checked and turned into the VM's network and the
// guest's address. plan_network is pure; the check_* functions look at the host.
#pragma once

#include "core/error.hpp"
#include "guest/kernel_args.hpp"
#include "settings/settings.hpp"
#include "vm/spec.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uk::vm {

struct NetworkRequest {
    std::optional<std::string> mode; // user (default), tap, bridge, none
    std::optional<std::string> tap;
    std::optional<std::string> bridge;
    std::optional<std::string> ip;      // A.B.C.D or A.B.C.D/PREFIX
    std::optional<std::string> gateway;
    std::optional<std::string> netmask; // A.B.C.D or PREFIX
    std::optional<std::string> ipv6;    // ADDRESS[/PREFIX], /64 when not given
    std::vector<std::string> dns;
    std::vector<settings::PortMapping> ports; // -p
};

struct NetworkPlan {
    Network network = UserNetwork{};
    std::optional<guest::GuestAddress> address; // static: applied by uk-init
    bool dhcp = false;                   // the kernel asks DHCP
    std::string description;             // "user", "tap uktap0 192.168.7.2/24", "bridge br0 dhcp", "none"
};

// QEMU's bridge helper, the privileged program that puts a tap on a bridge.
inline const std::filesystem::path default_bridge_helper = "/usr/lib/qemu/qemu-bridge-helper";

Result<NetworkPlan> plan_network(const NetworkRequest& request);

// The tap exists, is a tap, and this user can attach to it now (nobody else has it).
Status check_tap(const std::string& device, const std::filesystem::path& tun_device = "/dev/net/tun");

// The bridge exists and QEMU's helper is installed (and allows it, where its ACL is readable).
Status check_bridge(const std::string& bridge, const std::filesystem::path& helper,
                    const std::filesystem::path& sys_class_net = "/sys/class/net",
                    const std::filesystem::path& acl = "/etc/qemu/bridge.conf");

} // namespace uk::vm
