// Operating detached instances as users of Docker would: restart policies that bring a
// program or a whole guest back, and figures about a running guest.
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

using namespace std::chrono_literals;
using nlohmann::json;
using uk::test::UkCli;

namespace {

json inspect(UkCli& uk, const std::string& name)
{
    auto result = uk.run({"instance", "inspect", name});
    INFO(result.err);
    REQUIRE(result.status == 0);
    return json::parse(result.out);
}

// Polls inspect until `done` holds or the harness's patience ends (guests under TCG boot
// in seconds, not milliseconds).
json wait_for(UkCli& uk, const std::string& name, const std::function<bool(const json&)>& done,
              std::chrono::seconds patience = 300s)
{
    auto instance = inspect(uk, name);
    for (auto until = std::chrono::steady_clock::now() + patience;
         !done(instance) && std::chrono::steady_clock::now() < until; instance = inspect(uk, name))
        std::this_thread::sleep_for(200ms);
    return instance;
}

std::size_t count(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        n++;
    return n;
}

} // namespace

TEST_CASE("a program that exits 3 under --restart on-failure:2 runs 3 times, and inspect says restarts 2", "[e2e]")
{
    UkCli uk;
    auto started =
        uk.run({"run", "-d", "--name", "job", "--restart", "on-failure:2", UK_TEST_PROBE, "-a", "exit", "-a", "3"});
    INFO(started.err);
    REQUIRE(started.status == 0);
    auto ended = wait_for(uk, "job", [](const json& i) { return i["status"] == "exited"; });
    CHECK(ended["status"] == "exited");
    CHECK(ended["exit_status"] == 3);
    CHECK(ended["restarts"] == 2);
    CHECK(ended["restart"] == "on-failure:2");
    auto logs = uk.run({"instance", "logs", "job"}).out;
    INFO(logs);
    CHECK(count(logs, "probe: argv[2]=3\n") == 3);
    CHECK(logs.find("uk: restart 2 after exit status 3") != std::string::npos);
    CHECK(uk.run({"ps"}).out.find("job   exited (3)  2 ") != std::string::npos);
    CHECK(uk.running_monitors().empty());
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("kill -9 of a guest's QEMU under --restart always brings it back on the same port, and stop ends it", "[e2e]")
{
    UkCli uk;
    auto port = uk::test::free_tcp_port();
    auto started = uk.run({"run", "-d", "--name", "web", "--restart", "always", UK_TEST_GO_SERVER, "-p",
                           std::to_string(port) + ":8080"});
    INFO(started.err);
    REQUIRE(started.status == 0);
    int first_qemu = inspect(uk, "web")["qemu_pid"];
    REQUIRE(first_qemu > 0);
    ::kill(first_qemu, SIGKILL);

    auto back = wait_for(uk, "web", [&](const json& i) { return i["status"] == "running" && i["qemu_pid"] != first_qemu; });
    CHECK(back["restarts"] == 1);
    CHECK(back["last_exit_status"].is_null()); // the guest died: no program status
    auto answer = uk::test::wait_for_http_ok("127.0.0.1", port, "/", 240s);
    REQUIRE(answer);
    CHECK(answer->body == "hello from uk\n");

    auto stopped = uk.run({"instance", "stop", "web"});
    INFO(stopped.err);
    CHECK(stopped.status == 0);
    std::this_thread::sleep_for(1s); // time enough for a restart that should not come
    CHECK(inspect(uk, "web")["status"] == "stopped");
    CHECK(uk.running_monitors().empty());
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("uk instance stats --json has memory, CPU and network figures that grow under load", "[e2e]")
{
    UkCli uk;
    auto port = uk::test::free_tcp_port();
    auto started = uk.run({"run", "-d", "--name", "web", UK_TEST_GO_SERVER, "-p", std::to_string(port) + ":8080"});
    INFO(started.err);
    REQUIRE(started.status == 0);
    auto sample = [&] {
        auto result = uk.run({"instance", "stats", "web", "--json"});
        INFO(result.err);
        REQUIRE(result.status == 0);
        return json::parse(result.out);
    };
    auto before = sample();
    CHECK(before["name"] == "web");
    CHECK(before["memory"]["total_kib"] > 50'000);
    CHECK(before["memory"]["used_kib"] > 0);
    CHECK(before["memory"]["available_kib"] > 0);
    CHECK(before["cpu"]["count"] == 1);
    CHECK(before["program"]["processes"] >= 1);
    CHECK(before["program"]["rss_kib"] > 1000);
    for (int i = 0; i < 40; i++)
        REQUIRE(uk::test::http_get("127.0.0.1", port, "/", 30s));
    auto after = sample();
    CHECK(after["uptime_s"] > before["uptime_s"]);
    CHECK(after["cpu"]["busy_s"] > before["cpu"]["busy_s"]);
    CHECK(after["program"]["cpu_s"] > before["program"]["cpu_s"]);
    // 40 requests and answers: several KB each way at least.
    CHECK(after["network"]["rx_bytes"].get<std::uint64_t>() >= before["network"]["rx_bytes"].get<std::uint64_t>() + 2000);
    CHECK(after["network"]["tx_bytes"].get<std::uint64_t>() >= before["network"]["tx_bytes"].get<std::uint64_t>() + 4000);

    auto listed = uk.run({"ps", "--stats"});
    CHECK(listed.out.find("MEM USED") != std::string::npos);
    CHECK(listed.out.find(" MB / ") != std::string::npos);
    // --watch: a JSON object a line until Ctrl-C, the CPU share from the second one on.
    auto watch = uk.start({"instance", "stats", "web", "--json", "--watch", "--interval", "500ms"});
    std::vector<std::string> lines;
    for (auto until = std::chrono::steady_clock::now() + 60s; lines.size() < 3 && std::chrono::steady_clock::now() < until;) {
        std::this_thread::sleep_for(200ms);
        std::istringstream text(uk.started_output());
        lines.clear();
        for (std::string line; std::getline(text, line);)
            lines.push_back(line);
    }
    watch.send_signal(SIGINT);
    CHECK(watch.wait_for(10s) == 0);
    REQUIRE(lines.size() >= 3);
    CHECK(json::parse(lines[0])["cpu"]["percent"].is_null());
    CHECK(json::parse(lines[2])["cpu"]["percent"].is_number());

    REQUIRE(uk.run({"instance", "stop", "web"}).status == 0);
    auto stopped = uk.run({"instance", "stats", "web"});
    CHECK(stopped.status == 69);
    REQUIRE(stopped.error_lines().size() == 1);
    CHECK(stopped.error_lines()[0] ==
          "uk: error: instance web is not running (stopped (0)): start it with uk instance start web");
    CHECK(uk.running_qemus().empty());
}
