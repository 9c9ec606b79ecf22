// One order everywhere: command-line flags over the config file over the defaults.
#include "config/settings.hpp"

#include <catch2/catch.hpp>

using uk::config::Config;
using uk::config::merge;
using uk::config::Overrides;

namespace {

Config file_with_everything()
{
    Config c;
    c.file = "/app/uk.json";
    c.base_dir = "/app";
    c.program = "bin/server";
    c.args = std::vector<std::string>{"--from-file"};
    c.env = {{"A", "file"}, {"B", "file"}};
    c.compression = "zstd";
    c.sysroot = "root";
    c.strip = true;
    c.kernel = "/boot/vmlinuz";
    c.readonly_root = true;
    c.base_volume_size = "64M";
    c.run.memory = "256M";
    c.run.cpus = 2;
    c.run.ports = {"8080"};
    c.run.udp_ports = {"5353"};
    c.run.accel = "tcg";
    c.run.verbose = true;
    c.run.image_name = "from-file";
    return c;
}

} // namespace

TEST_CASE("settings: the defaults, with neither a file nor flags", "[unit][config]")
{
    auto s = merge(std::nullopt, {});
    CHECK_FALSE(s.program);
    CHECK_FALSE(s.name);
    CHECK(s.args.empty());
    CHECK(s.env.empty());
    CHECK(s.compression == "auto");
    CHECK(s.sysroot == "/");
    CHECK_FALSE(s.strip);
    CHECK_FALSE(s.kernel);
    CHECK_FALSE(s.readonly_root);
    CHECK(s.memory == "128M");
    CHECK(s.cpus == 1);
    CHECK(s.ports.empty());
    CHECK(s.accel == "auto");
    CHECK_FALSE(s.verbose);
}

TEST_CASE("settings: the file over the defaults, its relative paths start at its folder", "[unit][config]")
{
    auto s = merge(file_with_everything(), {});
    CHECK(s.program == "/app/bin/server");
    CHECK(s.name == "from-file");
    CHECK(s.args == std::vector<std::string>{"--from-file"});
    CHECK(s.env == std::vector<std::pair<std::string, std::string>>{{"A", "file"}, {"B", "file"}});
    CHECK(s.base_dir == "/app");
    CHECK(s.compression == "zstd");
    CHECK(s.sysroot == "/app/root");
    CHECK(s.strip);
    CHECK(s.kernel == "/boot/vmlinuz");
    CHECK(s.readonly_root);
    CHECK(s.writable_root_size == "64M");
    CHECK(s.memory == "256M");
    CHECK(s.cpus == 2);
    CHECK(s.ports == std::vector<std::string>{"8080", "5353/udp"});
    CHECK(s.accel == "tcg");
    CHECK(s.verbose);

    auto bare = file_with_everything();
    bare.program = "node"; // a command name stays one, for PATH lookup
    CHECK(merge(bare, {}).program == "node");
    CHECK(merge(bare, {}).program_dir == "/app");
}

TEST_CASE("settings: flags over the file", "[unit][config]")
{
    Overrides flags;
    flags.program = "./other";
    flags.name = "from-flag";
    flags.args = std::vector<std::string>{"--from-flag"};
    flags.env = {{"B", "flag"}, {"C", "flag"}};
    flags.compression = "lz4";
    flags.sysroot = "/srv/root";
    flags.strip = false;
    flags.kernel = "my-kernel";
    flags.memory = "64M";
    flags.cpus = 1;
    flags.ports = std::vector<std::string>{"9090:8080"};
    flags.accel = "auto";
    flags.verbose = false;
    auto s = merge(file_with_everything(), flags);
    CHECK(s.program == "./other"); // relative to where uk runs, not to the file
    CHECK(s.program_dir == ".");
    CHECK(s.name == "from-flag");
    CHECK(s.args == std::vector<std::string>{"--from-flag"});
    // -e replaces the file's value for its key and adds new keys after the file's.
    CHECK(s.env == std::vector<std::pair<std::string, std::string>>{{"A", "file"}, {"B", "flag"}, {"C", "flag"}});
    CHECK(s.compression == "lz4");
    CHECK(s.sysroot == "/srv/root");
    CHECK_FALSE(s.strip);
    CHECK(s.kernel == "my-kernel");
    CHECK(s.memory == "64M");
    CHECK(s.cpus == 1);
    CHECK(s.ports == std::vector<std::string>{"9090:8080"}); // any -p replaces Ports and UDPPorts
    CHECK(s.accel == "auto");
    CHECK_FALSE(s.verbose);
    // What the flags do not touch still comes from the file.
    CHECK(s.readonly_root);
    CHECK(s.writable_root_size == "64M");
}
