// A VM's description as kept in an instance's folder (vm.json), read back by its monitor.
#include "vm/spec.hpp"

#include <catch2/catch.hpp>

TEST_CASE("vm spec: the debugger survives the round trip through vm.json, and older files read as none",
          "[unit][vm]")
{
    uk::vm::VmSpec spec;
    spec.boot = uk::vm::DirectBoot{"/cache/vmlinux", "console=ttyS0"};
    spec.disks = {{.file = "/images/web.img", .read_only = true}};
    spec.control_socket = "/state/web/qmp.sock";
    spec.agent_socket = "/state/web/agent.sock";
    spec.debugger = uk::vm::Debugger{.port = 4321, .wait = true};
    auto json = uk::vm::to_json(spec);
    auto back = uk::vm::spec_from_json(json);
    REQUIRE(back);
    CHECK(back->agent_socket == "/state/web/agent.sock");
    REQUIRE(back->debugger);
    CHECK(back->debugger->port == 4321);
    CHECK(back->debugger->wait);

    json.erase("debugger");
    auto older = uk::vm::spec_from_json(json);
    REQUIRE(older);
    CHECK_FALSE(older->debugger);
    json.erase("agent_socket");
    CHECK(uk::vm::spec_from_json(json)->agent_socket.empty());
}

TEST_CASE("vm spec: the guest's architecture survives vm.json, and older files read as x86-64", "[unit][vm]")
{
    uk::vm::VmSpec spec;
    spec.arch = uk::Arch::arm64;
    spec.boot = uk::vm::DirectBoot{"/cache/Image", "console=ttyAMA0"};
    spec.control_socket = "/state/web/qmp.sock";
    auto json = uk::vm::to_json(spec);
    CHECK(json.at("arch") == "arm64");
    auto back = uk::vm::spec_from_json(json);
    REQUIRE(back);
    CHECK(back->arch == uk::Arch::arm64);
    json.erase("arch");
    CHECK(uk::vm::spec_from_json(json)->arch == uk::Arch::amd64);
}
