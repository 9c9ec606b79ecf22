// Detached instances as users script them: several at once, listed, stopped, logged,
// removed, and a QEMU killed by hand shown as what it is. Tap networking inside a
// network namespace the test makes, so no traffic leaves it.
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using nlohmann::json;
using uk::test::UkCli;

namespace {

json parse_json(const uk::test::UkResult& result)
{
    INFO(result.out + result.err);
    REQUIRE(result.status == 0);
    auto parsed = json::parse(result.out, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    return parsed;
}

// The fields docs/json.md promises for an instance.
void check_instance_fields(const json& instance)
{
    for (const char* field : {"name", "status", "exit_status", "image", "created", "detached", "qemu_pid",
                              "memory_mib", "cpus", "accelerator", "network", "ports", "stop_requested", "forced",
                              "console_log"}) {
        INFO(field);
        CHECK(instance.contains(field));
    }
}

std::string status_in_ps(UkCli& uk, const std::string& name)
{
    for (const auto& instance : parse_json(uk.run({"ps", "--json"})))
        if (instance["name"] == name)
            return instance["status"];
    return "absent";
}

} // namespace

TEST_CASE("two detached servers at once: listed, one stopped gracefully, the other still answering", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_GO_SERVER, "-n", "web", "-q"}).status == 0);
    auto port_a = uk::test::free_tcp_port();
    auto port_b = uk::test::free_tcp_port();

    auto started_a = uk.run({"run", "-d", "--name", "a", "web", "-p", std::to_string(port_a) + ":8080", "--mem", "64M"});
    INFO(started_a.err);
    REQUIRE(started_a.status == 0);
    CHECK(started_a.out == "a\n");
    auto started_b = parse_json(
        uk.run({"run", "-d", "--name", "b", "web", "-p", std::to_string(port_b) + ":8080", "--mem", "64M", "--json"}));
    check_instance_fields(started_b);
    CHECK(started_b["name"] == "b");
    CHECK(started_b["status"] == "running");
    CHECK(started_b["ports"] == json::array({"127.0.0.1:" + std::to_string(port_b) + "->8080/tcp"}));
    CHECK(started_b["detached"] == true);

    // -d returned once the guest itself accepted connections: both answer at once.
    auto a = uk::test::http_get("127.0.0.1", port_a, "/", 10s);
    auto b = uk::test::http_get("127.0.0.1", port_b, "/", 10s);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->body == "hello from uk\n");
    CHECK(b->body == "hello from uk\n");
    CHECK(uk::test::listen_backlog(port_a) > 1); // libslirp's backlog of one, widened by uk

    auto table = uk.run({"ps"});
    CHECK(table.out.starts_with("NAME  STATUS   RESTARTS  IMAGE  NETWORK  PORTS"));
    CHECK(table.out.find("\na     running  0         web    user     127.0.0.1:" + std::to_string(port_a) + "->8080/tcp") !=
          std::string::npos);
    CHECK(uk.run({"ps", "-q"}).out == "a\nb\n"); // names only: what scripts and completion read
    auto listed = parse_json(uk.run({"instance", "list", "--json"}));
    REQUIRE(listed.size() == 2);
    check_instance_fields(listed[0]);
    CHECK(listed[0]["name"] == "a");
    CHECK(listed[1]["status"] == "running");

    auto stopped = uk.run({"instance", "stop", "a"});
    INFO(stopped.err);
    CHECK(stopped.status == 0);
    CHECK(stopped.out == "stopped a: the program exited with status 0\n");
    // The program saw SIGTERM, through the power button and uk-init.
    auto logs = uk.run({"instance", "logs", "a"});
    CHECK(logs.out == "go-server: listening on :8080\ngo-server: got terminated, shutting down\n");
    auto inspected = parse_json(uk.run({"instance", "inspect", "a"}));
    CHECK(inspected["status"] == "stopped");
    CHECK(inspected["exit_status"] == 0);
    CHECK(inspected["stop_requested"] == true);

    auto still = uk::test::http_get("127.0.0.1", port_b, "/", 10s);
    REQUIRE(still);
    CHECK(still->body == "hello from uk\n");
    CHECK(uk.run({"instance", "rm", "a"}).status == 0);
    CHECK(uk.instances() == std::vector<std::string>{"b"});

    // A QEMU killed by hand is not running, whatever its record said.
    auto pid = started_b["qemu_pid"].get<int>();
    REQUIRE(::kill(pid, SIGKILL) == 0);
    for (int i = 0; i < 100 && status_in_ps(uk, "b") == "running"; i++)
        std::this_thread::sleep_for(50ms);
    CHECK(status_in_ps(uk, "b") == "crashed");
    CHECK(uk.run({"ps"}).out.find("\nb     crashed") != std::string::npos);
    CHECK(uk.run({"instance", "rm", "b"}).status == 0);
    CHECK(uk.instances().empty());
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a detached program's exit status is recorded and shown", "[e2e]")
{
    UkCli uk;
    auto started = uk.run({"run", "-d", "--name", "job", UK_TEST_PROBE, "-a", "exit", "-a", "7"});
    INFO(started.err);
    REQUIRE(started.status == 0);
    for (int i = 0; i < 1200 && status_in_ps(uk, "job") == "running"; i++)
        std::this_thread::sleep_for(100ms);
    auto inspected = parse_json(uk.run({"instance", "inspect", "job"}));
    CHECK(inspected["status"] == "exited");
    CHECK(inspected["exit_status"] == 7);
    CHECK(uk.run({"ps"}).out.find("\njob   exited (7)") != std::string::npos);
    auto logs = uk.run({"instance", "logs", "job"});
    CHECK(logs.out.find("probe: argv[2]=7\n") != std::string::npos);
    CHECK(uk.run({"instance", "stop", "job"}).out == "job is not running: exited (7)\n");
}

TEST_CASE("instance mistakes: a name in use, a running instance removed, an unknown name", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_GO_SERVER, "-n", "web", "-q"}).status == 0);
    auto port = std::to_string(uk::test::free_tcp_port());
    REQUIRE(uk.run({"run", "-d", "--name", "api", "web", "-p", port + ":8080", "--mem", "64M"}).status == 0);
    auto pids = uk.running_qemus();

    auto taken = uk.run({"run", "-d", "--name", "api", "web", "--mem", "64M"});
    CHECK(taken.status == 69);
    CHECK(taken.error_lines() ==
          std::vector<std::string>{
              "uk: error: an instance named api already exists: remove it (uk instance rm api) or choose another --name"});
    CHECK(uk.running_qemus() == pids); // nothing started

    auto running = uk.run({"instance", "rm", "api"});
    CHECK(running.status == 69);
    CHECK(running.error_lines() == std::vector<std::string>{"uk: error: instance api is running: stop it first (uk "
                                                            "instance stop api) or use -f"});
    CHECK(uk.run({"instance", "rm", "-f", "api"}).status == 0);
    CHECK(uk.running_qemus().empty());
    CHECK(uk.instances().empty());

    for (const auto& args : std::vector<std::vector<std::string>>{{"instance", "stop", "nope"},
                                                                  {"instance", "logs", "nope"},
                                                                  {"instance", "inspect", "nope"},
                                                                  {"instance", "rm", "nope"}}) {
        auto result = uk.run(args);
        CHECK(result.status == 66);
        CHECK(result.error_lines() == std::vector<std::string>{"uk: error: no instance named nope (uk ps lists them)"});
    }
    auto bad_name = uk.run({"run", "-d", "--name", "My VM", "web"});
    CHECK(bad_name.status == 2);
}

TEST_CASE("tap networking in a network namespace: a static address answers HTTP there", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_GO_SERVER, "-n", "web", "-q"}).status == 0);
    // A new network namespace (and, without root, a user namespace to own it) holds the tap
    // and the guest's network: nothing reaches the machine's own.
    auto script = uk.work() / "tap.sh";
    uk::test::write_text(script, R"(set -u
uk() { env UK_HOME=")" + uk.home().path().string() + R"(" ")" + UkCli::binary() + R"(" "$@"; }
ip link set lo up
ip tuntap add uktap0 mode tap
ip addr add 192.168.77.1/24 dev uktap0
ip link set uktap0 up
uk run -d --name tapvm web --mem 64M --net tap --tap uktap0 --ip 192.168.77.2/24 --gateway 192.168.77.1 || exit 10
answer=""
for i in $(seq 1 600); do
    answer=$(curl -s -m 2 http://192.168.77.2:8080/) && break
    sleep 0.2
done
echo "answer: $answer"
uk run web --mem 64M --tap uktap0 --ip 192.168.77.3/24
echo "busy: $?"
uk ps
uk instance stop tapvm
uk instance rm tapvm
)");
    std::vector<std::string> argv{"unshare", "--net"};
    if (::geteuid() != 0)
        argv.push_back("--map-root-user");
    argv.insert(argv.end(), {"bash", script.string()});
    auto result = uk::test::run_tool(argv);
    INFO(result.output);
    CHECK(result.status == 0);
    CHECK(result.output.find("answer: hello from uk\n") != std::string::npos);
    CHECK(result.output.find("uk: error: tap device uktap0 is in use by another program (another VM?): give each VM "
                             "its own tap\nbusy: 69\n") != std::string::npos);
    CHECK(result.output.find("tapvm  running  0         web    tap uktap0 192.168.77.2/24  -") != std::string::npos);
    CHECK(result.output.find("stopped tapvm: the program exited with status 0\n") != std::string::npos);
    CHECK(uk.running_qemus().empty());
    CHECK(uk.instances().empty());
}

TEST_CASE("uk instance stop kills a program that ignores SIGTERM after --timeout", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"run", "-d", "--name", "stubborn", UK_TEST_PROBE, "-a", "ignore-term"}).status == 0);
    for (int i = 0; i < 1200 && uk.run({"instance", "logs", "stubborn"}).out.find("probe: waiting") == std::string::npos;
         i++)
        std::this_thread::sleep_for(100ms);
    auto stopped = uk.run({"instance", "stop", "stubborn", "--timeout", "1s"});
    INFO(stopped.err);
    CHECK(stopped.status == 0);
    CHECK(stopped.out == "stopped stubborn (killed after 1s): the program reported no exit status\n");
    auto inspected = parse_json(uk.run({"instance", "inspect", "stubborn"}));
    CHECK(inspected["status"] == "stopped");
    CHECK(inspected["forced"] == true);
    CHECK(inspected["exit_status"].is_null());
    CHECK(uk.running_qemus().empty());
    auto bad = uk.run({"instance", "stop", "stubborn", "--timeout", "soon"});
    CHECK(bad.status == 2);
    CHECK(bad.error_lines() == std::vector<std::string>{
                                   "uk: error: --timeout: expected a duration like 10s, 500ms or 2m, got \"soon\""});
}

TEST_CASE("uk build --json and --list --json carry the documented fields", "[e2e]")
{
    UkCli uk;
    auto built = parse_json(uk.run({"build", UK_TEST_GO_SERVER, "--json"}));
    for (const char* field : {"image", "size_bytes", "allocated_bytes", "root_bytes", "compression", "sha256", "seconds"}) {
        INFO(field);
        CHECK(built.contains(field));
    }
    CHECK(built["image"] == (uk.home() / "images/go-server.img").string());
    CHECK(built["compression"] == "zstd");
    CHECK(built["size_bytes"].get<std::uint64_t>() == std::filesystem::file_size(uk.home() / "images/go-server.img"));
    auto listing = parse_json(uk.run({"build", UK_TEST_NEEDS_LIB, "--list", "--json"}));
    std::uint64_t total = 0;
    bool found_library = false;
    for (const auto& file : listing["files"]) {
        total += file["size_bytes"].get<std::uint64_t>();
        if (file["path"] == "/lib/libuktest.so.1")
            found_library = file["why"] == "needed by " + std::string(UK_TEST_NEEDS_LIB);
    }
    CHECK(found_library);
    CHECK(listing["total_bytes"].get<std::uint64_t>() == total);
}

TEST_CASE("uk instance start brings a stopped instance back on its port, and restart is stop then start", "[e2e]")
{
    UkCli uk;
    auto port = uk::test::free_tcp_port();
    auto started = uk.run({"run", "-d", "--name", "web", UK_TEST_GO_SERVER, "-p", std::to_string(port) + ":8080"});
    INFO(started.err);
    REQUIRE(started.status == 0);
    REQUIRE(uk.run({"instance", "stop", "web"}).status == 0);
    CHECK_FALSE(uk::test::http_get("127.0.0.1", port, "/"));

    auto again = uk.run({"instance", "start", "web"});
    INFO(again.err);
    REQUIRE(again.status == 0);
    CHECK(again.out == "web\n");
    // It returned once the port answered, as uk run -d does.
    auto answer = uk::test::http_get("127.0.0.1", port, "/", std::chrono::seconds(10));
    REQUIRE(answer);
    CHECK(answer->body == "hello from uk\n");
    CHECK(uk.run({"ps"}).out.find("running") != std::string::npos);
    CHECK(std::filesystem::exists(uk.home() / "instances/web/console.previous.log"));

    auto refused = uk.run({"instance", "start", "web"});
    CHECK(refused.status == 69);
    REQUIRE(refused.error_lines().size() == 1);
    CHECK(refused.error_lines()[0] ==
          "uk: error: instance web is running already: stop it first (uk instance stop web), or uk instance restart web");

    auto restarted = uk.run({"instance", "restart", "web", "--json"});
    INFO(restarted.err);
    REQUIRE(restarted.status == 0);
    CHECK(restarted.out.find("\"status\": \"running\"") != std::string::npos);
    CHECK(uk::test::http_get("127.0.0.1", port, "/", std::chrono::seconds(10)));
    CHECK(uk.run({"instance", "stop", "web"}).status == 0);
    CHECK(uk.running_qemus().empty());
    CHECK(uk.instances() == std::vector<std::string>{"web"}); // kept, as stopped instances are
}
