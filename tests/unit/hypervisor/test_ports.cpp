#include "hypervisor/ports.hpp"

#include "support/ports.hpp"

#include <catch2/catch.hpp>

using namespace uk::hypervisor;

TEST_CASE("ports: docker's -p forms", "[unit][hypervisor]")
{
    auto one = parse_port("8080");
    REQUIRE(one);
    CHECK(one->host_address == "127.0.0.1");
    CHECK(one->host_port == 8080);
    CHECK(one->guest_port == 8080);
    CHECK(one->protocol == Protocol::tcp);
    auto two = parse_port("18080:80");
    REQUIRE(two);
    CHECK(two->host_port == 18080);
    CHECK(two->guest_port == 80);
    auto three = parse_port("0.0.0.0:5353:53/udp");
    REQUIRE(three);
    CHECK(three->host_address == "0.0.0.0");
    CHECK(three->protocol == Protocol::udp);
    auto address_only = parse_port("192.168.1.2:9000");
    REQUIRE(address_only);
    CHECK(address_only->host_address == "192.168.1.2");
    CHECK(address_only->guest_port == 9000);
}

TEST_CASE("ports: malformed specs say what is wrong", "[unit][hypervisor]")
{
    auto error = [](const std::string& spec) {
        auto result = parse_port(spec);
        REQUIRE_FALSE(result);
        CHECK(result.error().kind == uk::ErrorKind::usage);
        return result.error().message;
    };
    const std::string form = "; expected [IP:]HOST[:GUEST][/tcp|/udp], e.g. -p 8080 or -p 8080:80";
    CHECK(error("http") == "-p http: \"http\" is not a port from 1 to 65535" + form);
    CHECK(error("70000") == "-p 70000: \"70000\" is not a port from 1 to 65535" + form);
    CHECK(error("8080:0") == "-p 8080:0: \"0\" is not a port from 1 to 65535" + form);
    CHECK(error("8080/sctp") == "-p 8080/sctp: unknown protocol \"sctp\"" + form);
    CHECK(error("300.1.1.1:80:80") == "-p 300.1.1.1:80:80: \"300.1.1.1\" is not an IPv4 address" + form);
    CHECK(error("1:2:3:4") == "-p 1:2:3:4: too many ':'" + form);
}

TEST_CASE("ports: a port in use is refused with a way out", "[unit][hypervisor]")
{
    uk::test::ListeningPort listening;
    auto port = listening.port();
    auto taken = check_ports_free({PortForward{Protocol::tcp, "127.0.0.1", port, 80}});
    REQUIRE_FALSE(taken);
    CHECK(taken.error().kind == uk::ErrorKind::unavailable);
    CHECK(taken.error().message == "port 127.0.0.1:" + std::to_string(port) +
                                       "/tcp is already in use on this machine: stop what uses it or publish another "
                                       "port (-p OTHER:80)");
    auto twice = check_ports_free({PortForward{Protocol::tcp, "127.0.0.1", 1234, 1}, PortForward{Protocol::tcp, "127.0.0.1", 1234, 2}});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().message == "host port 127.0.0.1:1234/tcp is published twice");
}
