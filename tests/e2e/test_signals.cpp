// Ctrl-C and SIGTERM during each long step: uk stops at once, removes what it had half
// written, and exits 128 + the signal (docs/decisions.md, "Signals").
#include "e2e/uk_cli.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using uk::test::UkCli;
using uk::test::any_name_contains;
using uk::test::eventually;
using uk::test::names_in;

TEST_CASE("SIGTERM while a build writes its image: status 143, no image and no temporary file", "[e2e]")
{
    UkCli uk;
    auto build = uk.start({"build", "-c", UK_TEST_NODE_CONFIG, "-n", "node"});
    REQUIRE(eventually([&] { return any_name_contains(uk.home() / "images", ".uk-tmp."); }));
    build.send_signal(SIGTERM);
    auto status = build.wait_for(10s);
    REQUIRE(status);
    CHECK(*status == 143);
    CHECK(uk.images().empty());
}

TEST_CASE("Ctrl-C while uk image create converts: status 130, nothing left in the output folder", "[e2e]")
{
    UkCli uk;
    auto out = uk.work() / "out";
    std::filesystem::create_directories(out);
    auto create = uk.start({"image", "create", "-c", UK_TEST_NODE_CONFIG, "-t", "qcow2", "-o", out.string()});
    // The conversion's output, under its temporary name, is there only while qemu-img runs.
    REQUIRE(eventually([&] { return any_name_contains(out, ".export"); }, 120s));
    create.send_signal(SIGINT);
    auto status = create.wait_for(10s);
    REQUIRE(status);
    CHECK(*status == 130);
    CHECK(std::filesystem::is_empty(out));
}

TEST_CASE("Ctrl-C during an upload to a server that never answers: status 130 at once, and where the image is",
          "[e2e]")
{
    UkCli uk;
    uk::test::SilentServer server;
    uk.set_environment({"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret"});
    auto image = uk.work() / "probe.img";
    auto create = uk.start({"image", "create", UK_TEST_PROBE, "-t", "raw", "-o", image.string(), "--upload",
                            "s3://bucket/probe.img", "--endpoint", "http://127.0.0.1:" + std::to_string(server.port())});
    REQUIRE(eventually([&] { return server.accepted() > 0; }));
    create.send_signal(SIGINT);
    auto status = create.wait_for(10s);
    REQUIRE(status);
    CHECK(*status == 130);
    CHECK(uk.started_errors().find("uk: error: stopped the upload to s3://bucket/probe.img (the image is at " +
                                   image.string() + ")\n") != std::string::npos);
    CHECK(std::filesystem::exists(image));
}

TEST_CASE("Ctrl-C while uk run -d waits for the port: status 130, the instance stopped and gone", "[e2e]")
{
    UkCli uk;
    auto port = uk::test::free_tcp_port();
    auto run = uk.start({"run", "-d", "--name", "box", UK_TEST_PROBE, "--accel", "tcg", "-a", "wait-term", "-p",
                         std::to_string(port) + ":8080"});
    REQUIRE(eventually([&] { return !uk.running_qemus().empty(); }));
    run.send_signal(SIGINT);
    auto status = run.wait_for(15s);
    REQUIRE(status);
    CHECK(*status == 130);
    // Stopped while the VM started, or while its port was awaited: the same ending.
    CHECK(uk.started_errors().find("uk: error: stopped ") != std::string::npos);
    CHECK(eventually([&] { return uk.running_qemus().empty(); }, 10s));
    CHECK(uk.instances().empty());
}
