// Volumes and host folders with real guests: data that outlives a VM, a stop and a
// killed QEMU; one writer at a time; read-only mounts; host folders both ways and no
// way out of them; ops's Mounts and network fields.
#include "e2e/uk_cli.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace std::chrono_literals;
using uk::test::UkCli;

namespace {

// The probe's counter answers each connection with the count it has just synced.
std::optional<long> next_count(std::uint16_t port)
{
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{30, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string text;
    if (::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        char buffer[64];
        for (ssize_t n; (n = ::read(s, buffer, sizeof buffer)) > 0;)
            text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(s);
    if (text.empty() || text.find_first_not_of("0123456789\n") != std::string::npos)
        return std::nullopt;
    return std::stol(text);
}

// A counter instance on the volume `data`, detached, its port published.
uk::test::UkResult start_counter(UkCli& uk, const std::string& name, std::uint16_t port)
{
    return uk.run({"run", "-d", "--name", name, "counter", "--mem", "64M", "-v", "data:/data", "-p",
                   std::to_string(port) + ":8080"});
}

bool is_running(UkCli& uk, const std::string& name)
{
    auto inspect = uk.run({"instance", "inspect", name});
    auto json = nlohmann::json::parse(inspect.out, nullptr, false);
    return json.is_object() && json["status"] == "running";
}

} // namespace

TEST_CASE("a count fsync'd on a volume survives uk instance stop and kill -9 of QEMU, one writer at a time",
          "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_PROBE, "-n", "counter", "-a", "counter", "-a", "8080", "-a", "/data/count", "-q"})
                .status == 0);
    auto port = uk::test::free_tcp_port();

    auto first = start_counter(uk, "one", port);
    INFO(first.err);
    REQUIRE(first.status == 0);
    // A missing volume is made, as docker makes one.
    CHECK(first.err.find("uk: volume data did not exist: created it (1G; uk volume resize grows it)\n") !=
          std::string::npos);
    auto a = next_count(port);
    auto b = next_count(port);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*b == *a + 1);

    // While one VM writes it: no second writer, no reader, no removal, no resize.
    auto second = uk.run({"run", "--name", "two", "counter", "--mem", "64M", "-v", "data:/data"});
    CHECK(second.status == 69);
    CHECK(second.error_lines() == std::vector<std::string>{"uk: error: volume data is in use: instance one writes to "
                                                           "it: stop it first (uk instance stop one)"});
    auto reader = uk.run({"run", "--name", "three", "counter", "--mem", "64M", "-v", "data:/data:ro"});
    CHECK(reader.status == 69);
    auto removed = uk.run({"volume", "rm", "data"});
    CHECK(removed.status == 69);
    CHECK(removed.error_lines() == std::vector<std::string>{"uk: error: cannot remove volume data while it is in use: "
                                                            "instance one writes to it: stop it first (uk instance "
                                                            "stop one)"});
    CHECK(uk.run({"volume", "resize", "data", "2G"}).status == 69);
    auto listed = uk.run({"volume", "ls", "--json"});
    auto volumes = nlohmann::json::parse(listed.out, nullptr, false);
    REQUIRE(volumes.is_array());
    REQUIRE(volumes.size() == 1);
    CHECK(volumes[0]["mounted_by"] == nlohmann::json::array({"one"}));
    CHECK(uk.instances() == std::vector<std::string>{"one"}); // the refused runs left nothing

    // A graceful stop unmounts it; the next VM counts on.
    REQUIRE(uk.run({"instance", "stop", "one"}).status == 0);
    auto after_stop = start_counter(uk, "four", port);
    INFO(after_stop.err);
    REQUIRE(after_stop.status == 0);
    CHECK(after_stop.err.find("not unmounted cleanly") == std::string::npos);
    auto c = next_count(port);
    REQUIRE(c);
    CHECK(*c > *b);

    // QEMU killed: what was fsync'd is there, after e2fsck has replayed the journal.
    auto pids = uk.running_qemus();
    REQUIRE(pids.size() == 1);
    REQUIRE(::kill(pids.front(), SIGKILL) == 0);
    REQUIRE(uk::test::eventually([&] { return !is_running(uk, "four"); }));
    auto after_kill = start_counter(uk, "five", port);
    INFO(after_kill.err);
    REQUIRE(after_kill.status == 0);
    CHECK(after_kill.err.find("uk: volume data was not unmounted cleanly (its VM was killed?): checked it with e2fsck "
                              "-p: ") != std::string::npos);
    auto d = next_count(port);
    REQUIRE(d);
    CHECK(*d > *c);
    REQUIRE(uk.run({"instance", "stop", "five"}).status == 0);

    // Stopped instances still name it: removal needs -f, then it is gone.
    auto kept = uk.run({"volume", "rm", "data"});
    CHECK(kept.status == 69);
    CHECK(uk.run({"volume", "rm", "-f", "data"}).status == 0);
    CHECK(uk.run({"volume", "ls", "-q"}).out.empty());
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a host folder is read and written from the guest, and its symlinks cannot reach the host", "[e2e]")
{
    UkCli uk;
    auto share = uk.work() / "share";
    std::filesystem::create_directories(share);
    uk::test::write_text(share / "in.txt", "from the host\n");
    uk::test::write_text(uk.work() / "secret.txt", "host secret\n");
    std::filesystem::create_symlink(uk.work() / "secret.txt", share / "absolute");
    std::filesystem::create_symlink("../secret.txt", share / "relative");
    auto result = uk.run({"run", UK_TEST_PROBE, "--mem", "64M", "-v", share.string() + ":/srv", "-a", "files", "-a",
                          "read=/srv/in.txt", "-a", "write=/srv/out.txt=from the guest", "-a", "read=/srv/absolute",
                          "-a", "read=/srv/relative"});
    INFO(result.out + result.err);
    CHECK(result.out.find("probe: /srv/in.txt says from the host\n") != std::string::npos);
    CHECK(result.out.find("probe: wrote /srv/out.txt\n") != std::string::npos);
    CHECK(uk::test::read_text(share / "out.txt") == "from the guest");
    struct stat written{};
    REQUIRE(::stat((share / "out.txt").c_str(), &written) == 0);
    CHECK(written.st_uid == ::geteuid()); // the user's, whoever the guest's program is
    // The guest resolves them in its own tree: neither reaches the file beside the share.
    CHECK(result.out.find("probe: cannot read /srv/absolute: No such file or directory\n") != std::string::npos);
    CHECK(result.out.find("probe: cannot read /srv/relative: No such file or directory\n") != std::string::npos);
    CHECK(result.out.find("host secret") == std::string::npos);
    CHECK(result.status == 1); // the two refused reads
}

TEST_CASE(":ro refuses writes in the guest, on a volume and on a host folder", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"volume", "create", "data", "--size", "64M"}).status == 0);
    auto share = uk.work() / "share";
    std::filesystem::create_directories(share);
    auto result = uk.run({"run", UK_TEST_PROBE, "--mem", "64M", "-v", "data:/data:ro", "-v", share.string() + ":/srv:ro",
                          "-a", "files", "-a", "write=/data/x=1", "-a", "write=/srv/x=1"});
    INFO(result.out + result.err);
    CHECK(result.status == 1);
    CHECK(result.out.find("probe: cannot write /data/x: Read-only file system\n") != std::string::npos);
    CHECK(result.out.find("probe: cannot write /srv/x: Read-only file system\n") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(share / "x"));
}

TEST_CASE("uk volume create --from fills a volume, an ops config's Mounts mounts it", "[e2e]")
{
    UkCli uk;
    auto site = uk.work() / "site";
    std::filesystem::create_directories(site);
    uk::test::write_text(site / "index.html", "hello from a volume\n");
    auto created = uk.run({"volume", "create", "site", "--size", "32M", "--from", site.string()});
    INFO(created.err);
    REQUIRE(created.status == 0);
    CHECK(created.out == "site\n");
    uk::test::write_text(uk.work() / "config.json", R"({
  "Program": ")" UK_TEST_PROBE R"(",
  "Args": ["files", "read=/srv/index.html", "write=/srv/seen=yes"],
  "Mounts": {"site": "/srv"},
  "RunConfig": {"Memory": "64M"}
})");
    auto run = uk.run({"run", "-c", (uk.work() / "config.json").string()});
    INFO(run.out + run.err);
    CHECK(run.status == 0);
    CHECK(run.out.find("probe: /srv/index.html says hello from a volume\n") != std::string::npos);
    CHECK(run.err.find("Mounts") == std::string::npos); // honoured, not warned about

    auto inspect = uk.run({"volume", "inspect", "site"});
    auto json = nlohmann::json::parse(inspect.out, nullptr, false);
    REQUIRE(json.is_object());
    CHECK(json["size_bytes"] == 32 << 20);
    CHECK(json["clean"] == true);
    auto grown = uk.run({"volume", "resize", "site", "64M"});
    INFO(grown.err);
    CHECK(grown.status == 0);
    CHECK(grown.out == "site 64M\n");
    auto again = uk.run({"run", UK_TEST_PROBE, "--mem", "64M", "-v", "site:/srv", "-a", "files", "-a", "read=/srv/seen"});
    CHECK(again.out.find("probe: /srv/seen says yes\n") != std::string::npos);
    auto shrink = uk.run({"volume", "resize", "site", "32M"});
    CHECK(shrink.status == 2);
    CHECK(shrink.error_lines() == std::vector<std::string>{"uk: error: volume site is 64M: volumes only grow (shrinking "
                                                           "one could lose its data)"});
}

TEST_CASE("an ops config's TapName, IPAddress, IPv6Address, Gateway, InstanceName and Background, in a network "
          "namespace",
          "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_PROBE, "-n", "hello", "-a", "hello", "-a", "8080", "-q"}).status == 0);
    uk::test::write_text(uk.work() / "config.json", R"({
  "RunConfig": {"Memory": "64M", "TapName": "uktap0", "IPAddress": "192.168.78.2", "NetMask": "255.255.255.0",
                "Gateway": "192.168.78.1", "IPv6Address": "fd00:78::2", "InstanceName": "opsvm",
                "Background": true}
})");
    auto script = uk.work() / "tap.sh";
    uk::test::write_text(script, R"(set -u
uk() { env UK_HOME=")" + uk.home().path().string() + R"(" ")" + UkCli::binary() + R"(" "$@"; }
ip link set lo up
ip tuntap add uktap0 mode tap
ip addr add 192.168.78.1/24 dev uktap0
ip -6 addr add fd00:78::1/64 dev uktap0 nodad
ip link set uktap0 up
uk run hello -c ")" + (uk.work() / "config.json").string() + R"(" || exit 10
answer=""
for i in $(seq 1 600); do
    answer=$(curl -s -m 2 telnet://192.168.78.2:8080 </dev/null) && [ -n "$answer" ] && break
    sleep 0.2
done
echo "answer: $answer"
v6=$(curl -s -m 10 'telnet://[fd00:78::2]:8080' </dev/null)
echo "ipv6 answer: $v6"
uk ps
uk instance stop opsvm
)");
    std::vector<std::string> argv{"unshare", "--net"};
    if (::geteuid() != 0)
        argv.push_back("--map-root-user");
    argv.insert(argv.end(), {"bash", script.string()});
    auto result = uk::test::run_tool(argv);
    INFO(result.output);
    CHECK(result.status == 0);
    CHECK(result.output.find("answer: hello\n") != std::string::npos);
    CHECK(result.output.find("ipv6 answer: hello\n") != std::string::npos);
    CHECK(result.output.find("opsvm  running  0         hello  tap uktap0 192.168.78.2/24 fd00:78::2/64") != std::string::npos);
    CHECK(uk.running_qemus().empty());
}
