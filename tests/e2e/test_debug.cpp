// Debugging a guest as a user would: Debian's gdb on QEMU's gdb stub (uk run --gdb).
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace std::chrono_literals;
using uk::test::UkCli;

namespace {

uk::test::ToolResult gdb_registers(std::uint16_t port)
{
    return uk::test::run_tool({"timeout", "120", "gdb", "-batch", "-nx", "-ex",
                               "target remote 127.0.0.1:" + std::to_string(port), "-ex", "info registers rip", "-ex",
                               "detach"});
}

} // namespace

TEST_CASE("gdb attaches to a detached guest through --gdb, reads its registers, detaches, and the server still answers",
          "[e2e]")
{
    UkCli uk;
    auto port = uk::test::free_tcp_port();
    auto gdb_port = uk::test::free_tcp_port();
    auto started = uk.run({"run", "-d", "--name", "web", UK_TEST_GO_SERVER, "-p", std::to_string(port) + ":8080",
                           "--gdb=" + std::to_string(gdb_port)});
    INFO(started.err);
    REQUIRE(started.status == 0);
    CHECK(started.err.find("gdb -ex 'target remote 127.0.0.1:" + std::to_string(gdb_port) + "' ") != std::string::npos);
    auto inspected = uk.run({"instance", "inspect", "web"});
    REQUIRE(inspected.status == 0);
    CHECK(nlohmann::json::parse(inspected.out)["gdb_port"] == gdb_port);

    auto gdb = gdb_registers(gdb_port);
    INFO(gdb.output);
    CHECK(gdb.status == 0);
    CHECK(gdb.output.find("rip            0x") != std::string::npos);
    CHECK(gdb.output.find("detached") != std::string::npos);
    // The stop gdb made on attaching is not mistaken for QEMU holding the guest.
    auto answer = uk::test::wait_for_http_ok("127.0.0.1", port, "/", 60s);
    REQUIRE(answer);
    CHECK(answer->body == "hello from uk\n");
    auto listed = uk.run({"ps"});
    CHECK(listed.out.find("running") != std::string::npos);
    CHECK(listed.out.find("127.0.0.1:" + std::to_string(gdb_port) + "->gdb") != std::string::npos);
    CHECK(uk.run({"instance", "stop", "web"}).status == 0);
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a guest started with --gdb-wait stays halted until gdb lets it go", "[e2e]")
{
    UkCli uk;
    auto port = uk::test::free_tcp_port();
    auto gdb_port = uk::test::free_tcp_port();
    auto started = uk.run({"run", "-d", "--name", "held", UK_TEST_GO_SERVER, "-p", std::to_string(port) + ":8080",
                           "--gdb=" + std::to_string(gdb_port), "--gdb-wait"});
    INFO(started.err);
    REQUIRE(started.status == 0);
    CHECK(started.err.find("the VM waits, halted, until gdb continues it") != std::string::npos);
    // Halted at the reset vector: nothing answers, however long one waits.
    CHECK_FALSE(uk::test::wait_for_http_ok("127.0.0.1", port, "/", 3s));
    auto gdb = gdb_registers(gdb_port);
    INFO(gdb.output);
    CHECK(gdb.output.find("rip            0xfff0") != std::string::npos);
    auto answer = uk::test::wait_for_http_ok("127.0.0.1", port, "/", 120s);
    REQUIRE(answer);
    CHECK(uk.run({"instance", "stop", "held"}).status == 0);
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("uk run with strace shows the program opening a packed file, and its exit status still comes back", "[e2e]")
{
    UkCli uk;
    auto traced = uk.run({"run", UK_TEST_NEEDS_LIB, "--strace=-e,trace=openat,exit_group", "-a", "strace"});
    INFO(traced.err);
    CHECK(traced.status == 42);
    CHECK(traced.out.find("libuktest: hello, strace\n") != std::string::npos);
    // The program's library, packed from $ORIGIN/lib, opened through strace's eyes.
    CHECK(traced.out.find("libuktest.so.1\", O_RDONLY|O_CLOEXEC) = 3") != std::string::npos);
    CHECK(traced.out.find("+++ exited with 42 +++") != std::string::npos);
    // strace's own libraries sit apart from the program's.
    auto inspected = uk.run({"image", "inspect", "needs-lib", "--json"});
    REQUIRE(inspected.status == 0);
    auto info = nlohmann::json::parse(inspected.out);
    CHECK(info["program"].get<std::string>().starts_with("/.uk/lib/ld-linux"));
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("uk run with missing-files lists what the program looked for and the image lacks", "[e2e]")
{
    UkCli uk;
    auto run = uk.run({"run", UK_TEST_PROBE, "--missing-files", "-a", "files", "-a", "read=/etc/app/config.toml", "-a",
                       "read=/etc/hosts"});
    INFO(run.err);
    CHECK(run.out.find("probe: cannot read /etc/app/config.toml") != std::string::npos);
    CHECK(run.err.find("uk: the program looked for 1 file the image does not have:\nuk:   /etc/app/config.toml\n") !=
          std::string::npos);
    CHECK(run.err.find("\"Files\": [\"/etc/app/config.toml\"]") != std::string::npos);
    CHECK(uk.running_qemus().empty());
}
