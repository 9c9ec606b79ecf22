// One order everywhere: command-line flags over the config file over the defaults.
#include "config/merge.hpp"

#include <catch2/catch.hpp>

using uk::config::Config;
using uk::config::merge;
using uk::config::Overrides;
using namespace uk::settings;

namespace {

std::vector<std::string> port_texts(const std::vector<PortMapping>& ports)
{
    std::vector<std::string> out;
    for (const auto& p : ports)
        out.push_back(p.to_string());
    return out;
}

} // namespace

namespace {

Config file_with_everything()
{
    Config c;
    c.file = "/app/uk.json";
    c.base_dir = "/app";
    c.program = "bin/server";
    c.args = std::vector<std::string>{"--from-file"};
    c.env = {{"A", "file"}, {"B", "file"}};
    c.compression = Compression::zstd;
    c.sysroot = "root";
    c.strip = true;
    c.kernel = "/boot/vmlinuz";
    c.readonly_root = true;
    c.base_volume_size = MemorySize{64};
    c.run.memory = MemorySize{256};
    c.run.cpus = CpuCount{2};
    c.run.ports = {*parse_port_mapping("8080"), *parse_port_mapping("5353/udp")};
    c.run.accel = AcceleratorChoice::tcg;
    c.run.verbose = true;
    c.run.image_name = "from-file";
    return c;
}

} // namespace

TEST_CASE("merge: the defaults, with neither a file nor flags", "[unit][config]")
{
    auto s = merge(std::nullopt, {});
    CHECK_FALSE(s.program);
    CHECK_FALSE(s.name);
    CHECK(s.args.empty());
    CHECK(s.env.empty());
    CHECK(s.compression == Compression::automatic);
    CHECK(s.sysroot == "/");
    CHECK_FALSE(s.strip);
    CHECK_FALSE(s.kernel);
    CHECK_FALSE(s.readonly_root);
    CHECK(s.memory == MemorySize{128});
    CHECK(s.cpus == CpuCount{1});
    CHECK(s.ports.empty());
    CHECK(s.accel == AcceleratorChoice::automatic);
    CHECK_FALSE(s.verbose);
}

TEST_CASE("merge: the file over the defaults, its relative paths start at its folder", "[unit][config]")
{
    auto s = merge(file_with_everything(), {});
    CHECK(s.program == "/app/bin/server");
    CHECK(s.name == "from-file");
    CHECK(s.args == std::vector<std::string>{"--from-file"});
    CHECK(s.env == std::vector<std::pair<std::string, std::string>>{{"A", "file"}, {"B", "file"}});
    CHECK(s.base_dir == "/app");
    CHECK(s.compression == Compression::zstd);
    CHECK(s.sysroot == "/app/root");
    CHECK(s.strip);
    CHECK(s.kernel == "/boot/vmlinuz");
    CHECK(s.readonly_root);
    CHECK(s.writable_root_size == MemorySize{64});
    CHECK(s.memory == MemorySize{256});
    CHECK(s.cpus == CpuCount{2});
    CHECK(port_texts(s.ports) == std::vector<std::string>{"127.0.0.1:8080->8080/tcp", "127.0.0.1:5353->5353/udp"});
    CHECK(s.accel == AcceleratorChoice::tcg);
    CHECK(s.verbose);

    auto bare = file_with_everything();
    bare.program = "node"; // a command name stays one, for PATH lookup
    CHECK(merge(bare, {}).program == "node");
    CHECK(merge(bare, {}).program_dir == "/app");
}

TEST_CASE("merge: flags over the file", "[unit][config]")
{
    Overrides flags;
    flags.program = "./other";
    flags.name = "from-flag";
    flags.args = std::vector<std::string>{"--from-flag"};
    flags.env = {{"B", "flag"}, {"C", "flag"}};
    flags.compression = Compression::lz4;
    flags.sysroot = "/srv/root";
    flags.strip = false;
    flags.kernel = "my-kernel";
    flags.memory = MemorySize{64};
    flags.cpus = CpuCount{1};
    flags.ports = std::vector<PortMapping>{*parse_port_mapping("9090:8080")};
    flags.accel = AcceleratorChoice::automatic;
    flags.verbose = false;
    auto s = merge(file_with_everything(), flags);
    CHECK(s.program == "./other"); // relative to where uk runs, not to the file
    CHECK(s.program_dir == ".");
    CHECK(s.name == "from-flag");
    CHECK(s.args == std::vector<std::string>{"--from-flag"});
    // -e replaces the file's value for its key and adds new keys after the file's.
    CHECK(s.env == std::vector<std::pair<std::string, std::string>>{{"A", "file"}, {"B", "flag"}, {"C", "flag"}});
    CHECK(s.compression == Compression::lz4);
    CHECK(s.sysroot == "/srv/root");
    CHECK_FALSE(s.strip);
    CHECK(s.kernel == "my-kernel");
    CHECK(s.memory == MemorySize{64});
    CHECK(s.cpus == CpuCount{1});
    CHECK(port_texts(s.ports) == std::vector<std::string>{"127.0.0.1:9090->8080/tcp"}); // any -p replaces both lists
    CHECK(s.accel == AcceleratorChoice::automatic);
    CHECK_FALSE(s.verbose);
    // What the flags do not touch still comes from the file.
    CHECK(s.readonly_root);
    CHECK(s.writable_root_size == MemorySize{64});
}

TEST_CASE("merge: -v replaces the file's mount at the same guest path and adds the others", "[unit][config]")
{
    Config c;
    c.base_dir = "/app";
    c.mounts = {{MountSpec::Source::volume, "data", "/data", false},
                {MountSpec::Source::host_folder, "./site", "/srv", true}};
    Overrides flags;
    flags.mounts = {{MountSpec::Source::volume, "other", "/data", true},
                    {MountSpec::Source::host_folder, "./here", "/here", false}};
    auto s = merge(c, flags);
    REQUIRE(s.mounts.size() == 3);
    // The file's relative host folder starts at its folder; the flag's stays for the run.
    CHECK(s.mounts[0] == MountSpec{MountSpec::Source::host_folder, "/app/site", "/srv", true});
    CHECK(s.mounts[1] == MountSpec{MountSpec::Source::volume, "other", "/data", true});
    CHECK(s.mounts[2] == MountSpec{MountSpec::Source::host_folder, "./here", "/here", false});

    // Two flags at one path are not merged away: the run refuses them.
    Overrides twice;
    twice.mounts = {{MountSpec::Source::volume, "a", "/x", false}, {MountSpec::Source::volume, "b", "/x", false}};
    CHECK(merge(c, twice).mounts.size() == 4);
}

TEST_CASE("merge: the network mode comes whole from one side, addresses one by one", "[unit][config]")
{
    Config c;
    c.run.network = {.mode = "bridge", .tap = {}, .bridge = "br1", .ip = "10.0.0.2", .gateway = "10.0.0.1",
                     .netmask = {}, .ipv6 = {}};
    c.run.instance_name = "web";
    c.run.detach = true;

    auto from_file = merge(c, {});
    CHECK(from_file.network.mode == "bridge");
    CHECK(from_file.network.ip == "10.0.0.2");
    CHECK(from_file.instance_name == "web");
    CHECK(from_file.detach);

    Overrides tap;
    tap.network.tap = "tap0";
    tap.network.ip = "10.0.0.9";
    tap.instance_name = "api";
    auto on_tap = merge(c, tap);
    CHECK_FALSE(on_tap.network.mode);
    CHECK_FALSE(on_tap.network.bridge);
    CHECK(on_tap.network.tap == "tap0");
    CHECK(on_tap.network.ip == "10.0.0.9");
    CHECK(on_tap.network.gateway == "10.0.0.1");
    CHECK(on_tap.instance_name == "api");

    // User networking has no use for the file's addresses.
    Overrides user;
    user.network.mode = "user";
    auto on_user = merge(c, user);
    CHECK(on_user.network.mode == "user");
    CHECK_FALSE(on_user.network.ip);
    CHECK_FALSE(on_user.network.gateway);
}
