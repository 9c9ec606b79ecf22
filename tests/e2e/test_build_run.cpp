// uk build + uk run as a user runs them: a Go HTTP server from ELF to answering VM.
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <thread>

using namespace std::chrono_literals;
using uk::test::UkCli;

TEST_CASE("uk build, then uk run serves HTTP, Ctrl-C stops it and leaves no QEMU", "[e2e]")
{
    UkCli uk;
    auto built = uk.run({"build", UK_TEST_GO_SERVER, "-n", "web"});
    INFO(built.err);
    REQUIRE(built.status == 0);
    CHECK(built.out.find("built " + (uk.home() / "images/web.img").string()) == 0);
    REQUIRE(uk.images() == std::vector<std::string>{"web.img"});

    auto port = uk::test::free_tcp_port();
    auto run = uk.start({"run", "web", "-p", std::to_string(port) + ":8080", "--mem", "64M"});
    auto [response, why] = uk.wait_for_http_ok(run, port, "/", 180s);
    INFO(why);
    REQUIRE(response);
    CHECK(response->body == "hello from uk\n");
    // QEMU listens with a backlog of one; uk widens it so bursts of connections are not dropped.
    CHECK(uk::test::listen_backlog(port) > 1);

    run.send_signal(SIGINT); // what Ctrl-C in the terminal does
    auto status = run.wait_for(60s);
    INFO(uk.started_output() + uk.started_errors());
    REQUIRE(status);
    // The Go server shuts down cleanly on SIGTERM (from the ACPI power button) and exits 0.
    CHECK(*status == 0);
    CHECK(uk.started_output().find("go-server: got terminated, shutting down") != std::string::npos);
    CHECK(uk.running_qemus().empty());
    CHECK(uk.instances().empty());
}

TEST_CASE("uk run PROGRAM builds first, and the program's exit status is uk's", "[e2e]")
{
    UkCli uk;
    auto result = uk.run({"run", UK_TEST_PROBE, "-a", "exit", "-a", "3", "-e", "UK_PROBE=from the host"});
    INFO(result.err);
    CHECK(result.status == 3);
    CHECK(result.out.find("probe: argv[1]=exit\nprobe: argv[2]=3\n") != std::string::npos);
    CHECK(result.out.find("probe: UK_PROBE=from the host\n") != std::string::npos);
    // uk-init's own line and the power-off messages stay in the console log.
    CHECK(result.out.find("uk-init:") == std::string::npos);
    CHECK(result.out.find("reboot:") == std::string::npos);
    CHECK(uk.images() == std::vector<std::string>{"probe.img"});
    CHECK(uk.running_qemus().empty());
    CHECK(uk.instances().empty());
}

TEST_CASE("a program killed in the guest comes back as 128 + its signal", "[e2e]")
{
    UkCli uk;
    auto result = uk.run({"run", UK_TEST_PROBE, "-a", "kill-self"});
    CHECK(result.status == 137);
    CHECK(uk.instances().empty());
}

TEST_CASE("uk run --dry-run prints the QEMU command line and starts nothing", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_PROBE}).status == 0);
    auto result = uk.run({"run", "probe", "--dry-run", "-p", "18080:8080", "--mem", "96M", "--cpus", "2"});
    INFO(result.err);
    REQUIRE(result.status == 0);
    CHECK(result.out.find("qemu-system-x86_64 -machine microvm") != std::string::npos);
    CHECK(result.out.find(" -m 96M -smp 2 ") != std::string::npos);
    CHECK(result.out.find("hostfwd=tcp:127.0.0.1:18080-:8080") != std::string::npos);
    CHECK(result.out.find("init=/sbin/uk-init") != std::string::npos);
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a program that ignores SIGTERM: a second Ctrl-C stops the VM at once, status 130", "[e2e]")
{
    UkCli uk;
    auto run = uk.start({"run", UK_TEST_PROBE, "-a", "ignore-term"});
    for (int i = 0; i < 1200 && uk.started_output().find("probe: waiting") == std::string::npos; i++)
        std::this_thread::sleep_for(100ms);
    REQUIRE(uk.started_output().find("probe: waiting") != std::string::npos);
    run.send_signal(SIGINT);
    // The first Ctrl-C presses the power button; uk-init would wait 10 s for the program.
    std::this_thread::sleep_for(1s);
    run.send_signal(SIGINT);
    auto status = run.wait_for(60s);
    INFO(uk.started_errors());
    REQUIRE(status);
    CHECK(*status == 130);
    CHECK(uk.started_errors().find("uk: error: stopped the VM before its program exited\n") != std::string::npos);
    CHECK(uk.running_qemus().empty());
    CHECK(uk.instances().empty());
}
