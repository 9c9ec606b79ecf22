// Dynamically linked programs and the config file, as users run them: the machine's own
// Node.js with a server given through a config, a program with its own library beside it,
// and uk.json in the current folder.
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <csignal>

using namespace std::chrono_literals;
using uk::test::UkCli;

namespace {

void serve_node(const std::string& memory)
{
    UkCli uk;
    auto port = uk::test::free_tcp_port();
    auto run = uk.start({"run", "-c", UK_TEST_NODE_CONFIG, "-p", std::to_string(port) + ":8080", "--mem", memory});
    auto [response, why] = uk.wait_for_http_ok(run, port, "/", 240s);
    INFO(why);
    INFO(uk.started_output() + uk.started_errors());
    REQUIRE(response);
    CHECK(response->body == "hello from uk\n");
    // A file packed with Files, an environment variable set with Env.
    auto greeting = uk::test::http_get("127.0.0.1", port, "/greeting", 30s);
    REQUIRE(greeting);
    CHECK(greeting->body == "hello from a packed file / hello from Env\n");

    run.send_signal(SIGINT);
    auto status = run.wait_for(60s);
    REQUIRE(status);
    CHECK(*status == 0);
    CHECK(uk.started_output().find("node-server: got SIGTERM, shutting down") != std::string::npos);
    CHECK(uk.running_qemus().empty());
}

} // namespace

TEST_CASE("node from the config answers HTTP with 128M", "[e2e]")
{
    serve_node("128M");
}

TEST_CASE("node from the config answers HTTP with 64M", "[e2e]")
{
    serve_node("64M");
}

TEST_CASE("a dynamic program finds its own library through $ORIGIN in the guest", "[e2e]")
{
    UkCli uk;
    auto result = uk.run({"run", UK_TEST_NEEDS_LIB});
    INFO(result.err);
    CHECK(result.status == 42);
    CHECK(result.out.find("libuktest: hello, world\n") != std::string::npos);
}

TEST_CASE("uk run with no program reads uk.json in the current folder", "[e2e]")
{
    UkCli uk;
    uk::test::write_text(uk.work() / "uk.json", R"({
  "Program": ")" + std::string(UK_TEST_PROBE) + R"(",
  "Args": ["exit", "5"],
  "Env": {"UK_PROBE": "from uk.json"},
  "RunConfig": {"Memory": "64M", "CPUs": 1}
})");
    auto result = uk.run({"run", "--mem", "48M", "--cpus", "1"});
    INFO(result.err);
    CHECK(result.status == 5);
    CHECK(result.out.find("probe: UK_PROBE=from uk.json\n") != std::string::npos);
    // The flag won over the file.
    auto dry = uk.run({"run", "--mem", "48M", "--dry-run"});
    CHECK(dry.out.find(" -m 48M ") != std::string::npos);
}

TEST_CASE("uk build --list shows what goes into the image and why", "[e2e]")
{
    UkCli uk;
    auto result = uk.run({"build", "-c", UK_TEST_NODE_CONFIG, "--list"});
    INFO(result.err);
    REQUIRE(result.status == 0);
    CHECK(result.out.find("/usr/bin/node (program)\n") != std::string::npos);
    CHECK(result.out.find("/lib64/ld-linux-x86-64.so.2 ") != std::string::npos);
    CHECK(result.out.find("(needed by /usr/bin/node)") != std::string::npos);
    CHECK(result.out.find("/server.js ") != std::string::npos);
    CHECK(result.out.find("(Files)") != std::string::npos);
    CHECK(result.out.find("libnss_dns.so.2") != std::string::npos);
    CHECK(uk.images().empty()); // --list builds nothing
}
