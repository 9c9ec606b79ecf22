// Small guests: the Go server at uk's smallest --mem, through load (docs/guest.md, "Memory").
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

} // namespace

TEST_CASE("the Go server at --mem 28M answers, keeps answering through wrk -t1 -c10 -d10s, and answers after",
          "[e2e]")
{
    UkCli uk;
    auto port = uk::test::free_tcp_port();
    auto started = uk.run({"run", "-d", "--name", "small", "--mem", "28M", UK_TEST_GO_SERVER, "-p",
                           std::to_string(port) + ":8080"});
    INFO(started.err);
    REQUIRE(started.status == 0);
    auto first = uk::test::http_get("127.0.0.1", port, "/", 30s);
    REQUIRE(first);
    CHECK(first->body == "hello from uk\n");

    auto load = uk::test::run_tool({"timeout", "60", "wrk", "-t1", "-c10", "-d10s",
                                    "http://127.0.0.1:" + std::to_string(port) + "/"});
    INFO(load.output);
    REQUIRE(load.status == 0);
    // "  21104 requests in 10.00s": it kept answering under load. How many is a figure for
    // bench/memory-map, not a test's (this machine is shared and TCG is slow).
    CHECK(requests_served(load.output) > 0);
    CHECK(load.output.find("Non-2xx") == std::string::npos);

    // One patient request: right after the burst the guest reads its text back in.
    auto after = uk::test::http_get("127.0.0.1", port, "/", 60s);
    REQUIRE(after);
    CHECK(after->body == "hello from uk\n");
    auto stats = uk.run({"instance", "stats", "small", "--json"});
    REQUIRE(stats.status == 0);
    CHECK(nlohmann::json::parse(stats.out)["memory"]["total_kib"] < 28 * 1024);
    CHECK(uk.run({"instance", "stop", "small"}).status == 0);
    CHECK(uk.running_qemus().empty());
}
