// uk run's network options: every mistake has its own message; good ones become QEMU's
// netdev and the guest's address.
#include "vm/network.hpp"

#include "guest/kernel_args.hpp"

#include <catch2/catch.hpp>

using uk::vm::NetworkRequest;
using uk::vm::plan_network;

namespace {

std::vector<uk::settings::PortMapping> ports(std::initializer_list<const char*> specs)
{
    std::vector<uk::settings::PortMapping> out;
    for (const char* spec : specs)
        out.push_back(*uk::settings::parse_port_mapping(spec));
    return out;
}

} // namespace

namespace {

std::string error_of(const NetworkRequest& request)
{
    auto plan = plan_network(request);
    REQUIRE_FALSE(plan);
    CHECK(plan.error().kind == uk::ErrorKind::usage);
    return plan.error().message;
}

} // namespace

TEST_CASE("network: user networking by default, with its fixed address and the published ports", "[unit][vm]")
{
    auto plan = plan_network({.ports = ports({"8080", "127.0.0.1:9000:90/udp"})});
    REQUIRE(plan);
    const auto& user = std::get<uk::vm::UserNetwork>(plan->network);
    REQUIRE(user.ports.size() == 2);
    CHECK(user.ports[1].protocol == uk::settings::Protocol::udp);
    CHECK(plan->address->address == "10.0.2.15");
    CHECK_FALSE(plan->dhcp);
    CHECK(plan->description == "user");
}

TEST_CASE("network: a tap with a static address, or DHCP without one", "[unit][vm]")
{
    auto fixed = plan_network({.tap = "uktap0", .ip = "192.168.7.2", .gateway = "192.168.7.1",
                               .netmask = "255.255.0.0", .dns = {"192.168.7.1"}});
    REQUIRE(fixed);
    CHECK(std::get<uk::vm::TapNetwork>(fixed->network).device == "uktap0");
    CHECK(fixed->address->address == "192.168.7.2");
    CHECK(fixed->address->prefix_length == 16);
    CHECK(fixed->address->gateway == "192.168.7.1");
    CHECK(fixed->address->dns == std::vector<std::string>{"192.168.7.1"});
    CHECK(fixed->description == "tap uktap0 192.168.7.2/16");
    CHECK(uk::guest::guest_kernel_args({.address = fixed->address}).find(
              " ip=off uk.ip=192.168.7.2/16 uk.gw=192.168.7.1 uk.dns=192.168.7.1") != std::string::npos);

    auto dhcp = plan_network({.mode = "tap", .tap = "uktap0"});
    REQUIRE(dhcp);
    CHECK(dhcp->dhcp);
    CHECK_FALSE(dhcp->address);
    CHECK(dhcp->description == "tap uktap0 dhcp");
    auto args = uk::guest::guest_kernel_args({.dhcp = true});
    CHECK(args.find(" ip=dhcp") != std::string::npos);
    CHECK(args.find("uk.ip=") == std::string::npos);

    auto bridge = plan_network({.bridge = "br0", .ip = "10.1.0.5/24"});
    REQUIRE(bridge);
    CHECK(std::get<uk::vm::BridgeNetwork>(bridge->network).bridge == "br0");
    CHECK(bridge->address->gateway.empty());

    auto none = plan_network({.mode = "none"});
    REQUIRE(none);
    CHECK(std::holds_alternative<uk::vm::NoNetwork>(none->network));
    CHECK_FALSE(none->address);
}

TEST_CASE("network: each mistake has its own message", "[unit][vm]")
{
    CHECK(error_of({.mode = "wifi"}) == "unknown network \"wifi\": use user, tap, bridge or none");
    CHECK(error_of({.mode = "tap"}) == "--net tap needs --tap NAME, an existing tap device (create one with: ip tuntap "
                                       "add NAME mode tap user $USER)");
    CHECK(error_of({.mode = "bridge"}) == "--net bridge needs --bridge NAME, an existing bridge");
    CHECK(error_of({.mode = "user", .tap = "t0"}) == "--tap t0 goes with --net tap, not --net user");
    CHECK(error_of({.mode = "none", .bridge = "br0"}) == "--bridge br0 goes with --net bridge, not --net none");
    CHECK(error_of({.tap = "t0", .ports = ports({"8080"})}) ==
          "-p publishes ports through user networking; with --net tap the guest answers on its own address");
    CHECK(error_of({.mode = "none", .ports = ports({"8080"})}) ==
          "-p publishes ports through user networking; with --net none there is no network");
    CHECK(error_of({.ip = "10.0.0.2"}) == "--ip, --gateway, --netmask, --ip6 and --dns go with --net tap or --bridge; user "
                                          "networking always gives the guest 10.0.2.15");
    CHECK(error_of({.tap = "t0", .gateway = "10.0.0.1"}) == "--gateway needs --ip (without --ip the guest asks DHCP)");
    CHECK(error_of({.tap = "t0", .ip = "10.0.0.300"}) ==
          "--ip 10.0.0.300 is not an IPv4 address: expected e.g. 192.168.10.2 or 192.168.10.2/24");
    CHECK(error_of({.tap = "t0", .ip = "10.0.0.2/33"}) == "--ip 10.0.0.2/33: the prefix length after / must be 0 to 32");
    CHECK(error_of({.tap = "t0", .ip = "10.0.0.2", .netmask = "255.0.255.0"}) ==
          "--netmask 255.0.255.0 is not a netmask: expected e.g. 255.255.255.0 or 24");
    CHECK(error_of({.tap = "t0", .ip = "10.0.0.2/24", .netmask = "16"}) ==
          "--ip 10.0.0.2/24 and --netmask 16 disagree: give the prefix once");
    CHECK(error_of({.tap = "t0", .ip = "10.0.0.2", .gateway = "router"}) == "--gateway router is not an IPv4 address");
    CHECK(error_of({.tap = "t0", .dns = {"dns.google"}}) == "--dns dns.google is not an IPv4 address");
}

TEST_CASE("network: a tap that does not exist, or is not a tap", "[unit][vm]")
{
    auto missing = uk::vm::check_tap("uk-no-such0");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == uk::ErrorKind::not_found);
    CHECK(missing.error().message == "tap device uk-no-such0 does not exist: create it with 'ip tuntap add uk-no-such0 "
                                     "mode tap user $USER' and 'ip link set uk-no-such0 up'");
    auto loopback = uk::vm::check_tap("lo");
    REQUIRE_FALSE(loopback);
    CHECK(loopback.error().message.starts_with("lo is not a tap device"));
    auto bridge = uk::vm::check_bridge("uk-no-br0", "/usr/lib/qemu/qemu-bridge-helper");
    REQUIRE_FALSE(bridge);
    CHECK(bridge.error().message ==
          "bridge uk-no-br0 does not exist: create it (ip link add uk-no-br0 type bridge) or name another");
}
