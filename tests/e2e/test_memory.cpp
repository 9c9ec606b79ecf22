// Small guests: the Go server at uk's smallest --mem through load, and Node.js at 32 MiB,
// both with EROFS roots that the guest reads in place (docs/guest.md, "Memory"). The Node.js
// is nodejs.org's build, pinned (tests/CMakeLists.txt), not the machine's: Debian's is built
// without V8's startup snapshot and needs 36 MiB.
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace std::chrono_literals;
using uk::test::UkCli;

namespace {

// The count in wrk's "N requests in Ts" line, or 0.
unsigned long requests_served(const std::string& wrk_output)
{
    auto at = wrk_output.find(" requests in ");
    if (at == std::string::npos)
        return 0;
    auto start = wrk_output.find_last_not_of("0123456789", at - 1) + 1;
    return std::stoul(wrk_output.substr(start, at - start));
}

// Starts a detached guest from `run_args`, which answers at once, keeps answering through
// wrk -t1 -c10 -d10s and answers after it, in less memory than --mem gave it.
void serves_through_load(UkCli& uk, std::vector<std::string> run_args, unsigned mem_mib, std::uint16_t port)
{
    std::vector<std::string> args{"run", "-d", "--name", "small", "--mem", std::to_string(mem_mib) + "M", "-p",
                                  std::to_string(port) + ":8080"};
    args.insert(args.end(), run_args.begin(), run_args.end());
    auto started = uk.run(args);
    INFO(started.err);
    REQUIRE(started.status == 0);
    auto first = uk::test::http_get("127.0.0.1", port, "/", 60s);
    REQUIRE(first);
    CHECK(first->status == 200);

    auto load = uk::test::run_tool({"timeout", "60", "wrk", "-t1", "-c10", "-d10s",
                                    "http://127.0.0.1:" + std::to_string(port) + "/"});
    INFO(load.output);
    REQUIRE(load.status == 0);
    // "  21104 requests in 10.00s": it kept answering under load. How many is a figure for
    // bench/memory-map, not a test's (this machine is shared and TCG is slow).
    CHECK(requests_served(load.output) > 0);
    CHECK(load.output.find("Non-2xx") == std::string::npos);

    auto after = uk::test::http_get("127.0.0.1", port, "/", 60s);
    REQUIRE(after);
    CHECK(after->status == 200);
    auto stats = uk.run({"instance", "stats", "small", "--json"});
    REQUIRE(stats.status == 0);
    auto json = nlohmann::json::parse(stats.out);
    CHECK(json["memory"]["total_kib"] < mem_mib * 1024);
    // The program's code is mapped from the image, not read into the guest's page cache.
    CHECK(json["memory"]["page_cache_kib"] < 1024);
    CHECK(uk.run({"instance", "stop", "small"}).status == 0);
    CHECK(uk.running_qemus().empty());
}

} // namespace

TEST_CASE("the Go server with an EROFS root at --mem 24M answers, through wrk -t1 -c10 -d10s and after", "[e2e]")
{
    UkCli uk;
    serves_through_load(uk, {"--root-fs", "erofs", UK_TEST_GO_SERVER}, 24, uk::test::free_tcp_port());
}

TEST_CASE("the Node.js server with an EROFS root at --mem 32M answers, through wrk -t1 -c10 -d10s and after", "[e2e]")
{
    UkCli uk;
    serves_through_load(uk, {"--root-fs", "erofs", "-c", UK_TEST_NODE_CONFIG, UK_TEST_NODE_OFFICIAL}, 32, uk::test::free_tcp_port());
}

