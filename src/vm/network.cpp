#include "vm/network.hpp"

#include "core/files.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sstream>
#include <sys/ioctl.h>
#include <unistd.h>

namespace uk::vm {
namespace {

bool is_ipv4(const std::string& text)
{
    in_addr address{};
    return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

std::optional<unsigned> parse_prefix(const std::string& text)
{
    if (text.empty() || text.size() > 2 || text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    auto value = static_cast<unsigned>(std::stoul(text));
    return value <= 32 ? std::optional<unsigned>(value) : std::nullopt;
}

// "255.255.255.0" or "24" as a prefix length.
std::optional<unsigned> parse_netmask(const std::string& text)
{
    if (auto prefix = parse_prefix(text))
        return prefix;
    in_addr address{};
    if (inet_pton(AF_INET, text.c_str(), &address) != 1)
        return std::nullopt;
    std::uint32_t mask = ntohl(address.s_addr);
    unsigned prefix = 0;
    while (prefix < 32 && (mask & (0x80000000u >> prefix)))
        prefix++;
    if (prefix < 32 && (mask << prefix) != 0) // ones, then only zeros
        return std::nullopt;
    return prefix;
}

Result<guest::GuestAddress> static_address(const NetworkRequest& r)
{
    guest::GuestAddress address;
    auto slash = r.ip->find('/');
    address.address = r.ip->substr(0, slash);
    if (!is_ipv4(address.address))
        return fail(ErrorKind::usage, "--ip {} is not an IPv4 address: expected e.g. 192.168.10.2 or 192.168.10.2/24",
                    *r.ip);
    std::optional<unsigned> prefix;
    if (slash != std::string::npos) {
        prefix = parse_prefix(r.ip->substr(slash + 1));
        if (!prefix)
            return fail(ErrorKind::usage, "--ip {}: the prefix length after / must be 0 to 32", *r.ip);
    }
    if (r.netmask) {
        auto from_mask = parse_netmask(*r.netmask);
        if (!from_mask)
            return fail(ErrorKind::usage, "--netmask {} is not a netmask: expected e.g. 255.255.255.0 or 24",
                        *r.netmask);
        if (prefix && *prefix != *from_mask)
            return fail(ErrorKind::usage, "--ip {} and --netmask {} disagree: give the prefix once", *r.ip,
                        *r.netmask);
        prefix = from_mask;
    }
    address.prefix_length = prefix.value_or(24);
    if (r.gateway) {
        if (!is_ipv4(*r.gateway))
            return fail(ErrorKind::usage, "--gateway {} is not an IPv4 address", *r.gateway);
        address.gateway = *r.gateway;
    }
    return address;
}

// "fd00::2/64", with /64 added when no prefix is given.
Result<std::string> static_ipv6(const std::string& text)
{
    auto slash = text.find('/');
    in6_addr address{};
    auto prefix = slash == std::string::npos ? std::string("64") : text.substr(slash + 1);
    bool good = inet_pton(AF_INET6, text.substr(0, slash).c_str(), &address) == 1 && !prefix.empty() &&
                prefix.size() <= 3 && prefix.find_first_not_of("0123456789") == std::string::npos &&
                std::stoi(prefix) <= 128;
    if (!good)
        return fail(ErrorKind::usage, "--ip6 {} is not an IPv6 address: expected e.g. fd00::2 or fd00::2/64", text);
    return text.substr(0, slash) + "/" + prefix;
}

} // namespace

Result<NetworkPlan> plan_network(const NetworkRequest& r)
{
    // --tap and --bridge say the mode on their own; --net must not contradict them.
    std::string mode = r.mode.value_or(r.tap ? "tap" : r.bridge ? "bridge" : "user");
    if (mode != "user" && mode != "tap" && mode != "bridge" && mode != "none")
        return fail(ErrorKind::usage, "unknown network \"{}\": use user, tap, bridge or none", mode);
    if (r.tap && mode != "tap")
        return fail(ErrorKind::usage, "--tap {} goes with --net tap, not --net {}", *r.tap, mode);
    if (r.bridge && mode != "bridge")
        return fail(ErrorKind::usage, "--bridge {} goes with --net bridge, not --net {}", *r.bridge, mode);
    if (mode == "tap" && (!r.tap || r.tap->empty()))
        return fail(ErrorKind::usage,
                    "--net tap needs --tap NAME, an existing tap device (create one with: ip tuntap add NAME mode tap "
                    "user $USER)");
    if (mode == "bridge" && (!r.bridge || r.bridge->empty()))
        return fail(ErrorKind::usage, "--net bridge needs --bridge NAME, an existing bridge");
    if (mode != "user" && !r.ports.empty())
        return fail(ErrorKind::usage,
                    "-p publishes ports through user networking; with --net {} {}", mode,
                    mode == "none" ? "there is no network" : "the guest answers on its own address");
    bool addressing = r.ip || r.gateway || r.netmask || r.ipv6 || !r.dns.empty();
    if ((mode == "user" || mode == "none") && addressing)
        return fail(ErrorKind::usage, "--ip, --gateway, --netmask, --ip6 and --dns go with --net tap or --bridge; {}",
                    mode == "user" ? "user networking always gives the guest 10.0.2.15" : "--net none has no network");
    if (!r.ip && (r.gateway || r.netmask))
        return fail(ErrorKind::usage, "--{} needs --ip (without --ip the guest asks DHCP)", r.gateway ? "gateway" : "netmask");
    for (const auto& server : r.dns)
        if (!is_ipv4(server))
            return fail(ErrorKind::usage, "--dns {} is not an IPv4 address", server);

    NetworkPlan plan;
    if (mode == "user") {
        plan.network = UserNetwork{r.ports};
        plan.address = guest::user_network_address();
        plan.description = "user";
        return plan;
    }
    if (mode == "none") {
        plan.network = NoNetwork{};
        plan.description = "none";
        return plan;
    }
    plan.network = mode == "tap" ? Network(TapNetwork{*r.tap}) : Network(BridgeNetwork{*r.bridge, default_bridge_helper});
    plan.description = mode + " " + (mode == "tap" ? *r.tap : *r.bridge);
    if (r.ip) {
        auto address = static_address(r);
        if (!address)
            return fail(address.error());
        address->dns = r.dns;
        plan.address = *address;
        plan.description += " " + address->address + "/" + std::to_string(address->prefix_length);
    } else {
        plan.dhcp = true;
        plan.description += " dhcp";
        if (!r.dns.empty()) // servers of one's own; DHCP's otherwise
            plan.address = guest::GuestAddress{.address = {}, .prefix_length = 0, .gateway = {}, .dns = r.dns};
    }
    if (r.ipv6) {
        auto ipv6 = static_ipv6(*r.ipv6);
        if (!ipv6)
            return fail(ipv6.error());
        if (!plan.address)
            plan.address = guest::GuestAddress{.address = {}, .prefix_length = 0, .gateway = {}, .dns = {}};
        plan.address->ipv6 = *ipv6;
        plan.description += " " + *ipv6;
    }
    return plan;
}

Status check_tap(const std::string& device, const std::filesystem::path& tun_device)
{
    if (device.empty() || device.size() >= IFNAMSIZ || device.find('/') != std::string::npos)
        return fail(ErrorKind::usage, "--tap {}: not a network device name (at most {} characters, no '/')", device,
                    IFNAMSIZ - 1);
    // Asked of the kernel, not of /sys, which shows the network namespace it was mounted in.
    if (::if_nametoindex(device.c_str()) == 0)
        return fail(ErrorKind::not_found,
                    "tap device {} does not exist: create it with 'ip tuntap add {} mode tap user $USER' and 'ip link "
                    "set {} up'",
                    device, device, device);
    // Attach for a moment, as QEMU will: a tap has one queue and one owner at a time.
    int fd = ::open(tun_device.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorKind::unavailable, "cannot open {}: {}: uk needs it for tap networking", tun_device.string(),
                    std::strerror(errno));
    ifreq request{};
    std::strncpy(request.ifr_name, device.c_str(), IFNAMSIZ - 1);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    int result = ::ioctl(fd, TUNSETIFF, &request);
    int error = errno;
    ::close(fd);
    if (result == 0)
        return {};
    if (error == EBUSY)
        return fail(ErrorKind::unavailable, "tap device {} is in use by another program (another VM?): give each VM "
                                            "its own tap",
                    device);
    if (error == EPERM || error == EACCES)
        return fail(ErrorKind::unavailable,
                    "no permission to use tap device {}: create it for your user ('ip tuntap add {} mode tap user "
                    "$USER') or run uk as its owner",
                    device, device);
    if (error == EINVAL)
        return fail(ErrorKind::invalid_input, "{} is not a tap device (or is a multi-queue one): give a plain tap (ip "
                                              "tuntap add NAME mode tap)",
                    device);
    return fail(ErrorKind::unavailable, "cannot attach to tap device {}: {}", device, std::strerror(error));
}

Status check_bridge(const std::string& bridge, const std::filesystem::path& helper,
                    const std::filesystem::path& sys_class_net, const std::filesystem::path& acl)
{
    std::error_code ec;
    if (bridge.empty() || bridge.size() >= IFNAMSIZ || ::if_nametoindex(bridge.c_str()) == 0)
        return fail(ErrorKind::not_found, "bridge {} does not exist: create it (ip link add {} type bridge) or name "
                                          "another",
                    bridge, bridge);
    // /sys shows the namespace it was mounted in: only a device it shows can be checked.
    if (std::filesystem::exists(sys_class_net / bridge, ec) && !std::filesystem::exists(sys_class_net / bridge / "bridge", ec))
        return fail(ErrorKind::invalid_input, "{} is a network device but not a bridge", bridge);
    if (!std::filesystem::exists(helper, ec))
        return fail(ErrorKind::unavailable, "{} is missing: bridge networking needs QEMU's bridge helper (apt install "
                                            "qemu-system-common)",
                    helper.string());
    auto rules = read_file(acl);
    if (!rules)
        return {}; // unreadable to this user: the helper, which runs as root, decides
    std::istringstream lines(*rules);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string verb, name;
        words >> verb >> name;
        if (verb == "allow" && (name == bridge || name == "all"))
            return {};
    }
    return fail(ErrorKind::unavailable, "QEMU's bridge helper does not allow bridge {}: add 'allow {}' to {}", bridge,
                bridge, acl.string());
}

} // namespace uk::vm
