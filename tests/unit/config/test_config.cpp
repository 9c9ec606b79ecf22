// The config file: every mistake gets its own message with file, line, column and field
// path; an ops config.json is read as it is.
#include "config/config.hpp"
#include "config/merge.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>

using uk::config::parse_config;

namespace {

std::string error_of(const std::string& text)
{
    auto config = parse_config(text, "uk.json");
    REQUIRE_FALSE(config);
    CHECK(config.error().kind == uk::ErrorKind::invalid_input);
    return config.error().message;
}

} // namespace

TEST_CASE("config: each mistake has its own message, with line, column and field path", "[unit][config]")
{
    struct Case {
        const char* text;
        const char* message;
    };
    const Case cases[] = {
        {"{\"Program\": \"node\",\n \"Agrs\": [\"a\"]}", "uk.json:2:2: Agrs: unknown field; did you mean Args?"},
        {"{\"RunConfig\": {\"Memroy\": \"64M\"}}", "uk.json:1:16: RunConfig.Memroy: unknown field; did you mean Memory?"},
        {"{\"Colour\": \"blue\"}", "uk.json:1:2: Colour: unknown field (docs/config.md lists them)"},
        {"{\"Program\": 7}", "uk.json:1:13: Program: expected a string, got a number"},
        {"{\"Program\": \"\"}", "uk.json:1:13: Program: must not be empty"},
        {"{\"Args\": \"server.js\"}", "uk.json:1:10: Args: expected an array of strings, got a string"},
        {"{\"Args\": [\"a\",\n  1]}", "uk.json:2:3: Args[1]: expected a string, got a number"},
        {"{\"Env\": [\"A=1\"]}", "uk.json:1:9: Env: expected an object of strings, got an array"},
        {"{\"Env\": {\"PORT\": 8080}}", "uk.json:1:18: Env.PORT: expected a string, got a number"},
        {"{\"Env\": {\"A=B\": \"1\"}}", "uk.json:1:17: Env.A=B: a variable name must be non-empty and hold no '='"},
        {"{\"Files\": [\"\"]}", "uk.json:1:12: Files[0]: must not be empty"},
        {"{\"MapDirs\": {\"assets/*\": \"assets\"}}",
         "uk.json:1:26: MapDirs.assets/*: expected an absolute guest path, got \"assets\""},
        {"{\"NameServers\": [\"8.8.8.8\", \"dns.google\"]}",
         "uk.json:1:29: NameServers[1]: expected an IP address, got \"dns.google\""},
        {"{\"BaseVolumeSz\": \"big\"}",
         "uk.json:1:18: BaseVolumeSz: expected a size like \"128M\" or \"1G\", got \"big\""},
        {"{\"ReadOnlyRoot\": \"yes\"}", "uk.json:1:18: ReadOnlyRoot: expected true or false, got a string"},
        {"{\"Compression\": \"xz\"}",
         "uk.json:1:17: Compression: expected \"auto\", \"zstd\", \"lz4\" or \"none\", got \"xz\""},
        {"{\"RootFs\": \"ext4\"}", "uk.json:1:12: RootFs: expected \"squashfs\" or \"erofs\", got \"ext4\""},
        {"{\"Arch\": \"riscv64\"}", "uk.json:1:10: Arch: expected \"amd64\" or \"arm64\", got \"riscv64\""},
        {"{\"RunConfig\": []}", "uk.json:1:15: RunConfig: expected an object, got an array"},
        {"{\"RunConfig\": {\"Restart\": \"sometimes\"}}",
         "uk.json:1:27: RunConfig.Restart: expected \"no\", \"on-failure[:MAX]\", \"always\" or \"unless-stopped\", got "
         "\"sometimes\""},
        {"{\"RebootOnExit\": 1}", "uk.json:1:18: RebootOnExit: expected true or false, got a number"},
        {"{\"RunConfig\": {\"Memory\": 128}}", "uk.json:1:26: RunConfig.Memory: expected a size like \"128M\", got a number"},
        {"{\"RunConfig\": {\"CPUs\": \"2\"}}", "uk.json:1:24: RunConfig.CPUs: expected a whole number of CPUs, got a string"},
        {"{\"RunConfig\": {\"CPUs\": 0}}", "uk.json:1:24: RunConfig.CPUs: expected 1 to 64 CPUs, got 0"},
        {"{\"RunConfig\": {\"Ports\": \"8080\"}}", "uk.json:1:25: RunConfig.Ports: expected an array of ports, got a string"},
        {"{\"RunConfig\": {\"Ports\": [\"8080\", \"http\"]}}",
         "uk.json:1:34: RunConfig.Ports[1]: \"http\" is not a port from 1 to 65535; expected "
         "[IP:]HOST[:GUEST][/tcp|/udp], e.g. 8080 or 8080:80"},
        {"{\"RunConfig\": {\"UDPPorts\": [true]}}",
         "uk.json:1:29: RunConfig.UDPPorts[0]: expected a port like \"8080\" or \"8080:80\", got a boolean"},
        {"{\"RunConfig\": {\"Accel\": \"hvf\"}}",
         "uk.json:1:25: RunConfig.Accel: expected \"auto\", \"kvm\" or \"tcg\", got \"hvf\""},
        {"{\"Volumes\": [\"data\"]}",
         "uk.json:1:14: Volumes[0]: \"data\" has no ':' between what to mount and where; expected NAME:/path or "
         "/host/folder:/path, with :ro to mount read-only"},
        {"{\"Volumes\": \"data:/data\"}", "uk.json:1:13: Volumes: expected an array like [\"data:/data\"], got a string"},
        {"{\"Mounts\": {\"data\": \"data\"}}",
         "uk.json:1:21: Mounts.data: the guest path \"data\" is not absolute; expected NAME:/path or /host/folder:/path, "
         "with :ro to mount read-only"},
        {"{\"Mounts\": [\"data:/data\"]}", "uk.json:1:12: Mounts: expected an object like {\"data\": \"/data\"}, got an array"},
        {"{\"RunConfig\": {\"Mounts\": [\"data:/data:rx\"]}}",
         "uk.json:1:27: RunConfig.Mounts[0]: unknown option \"rx\" (ro or rw); expected NAME:/path or /host/folder:/path, "
         "with :ro to mount read-only"},
        {"{\"RunConfig\": {\"IPAddress\": \"10.0.0.300\"}}",
         "uk.json:1:29: RunConfig.IPAddress: expected an IPv4 address, got \"10.0.0.300\""},
        {"{\"RunConfig\": {\"IPv6Address\": \"fd00::2/129\"}}",
         "uk.json:1:31: RunConfig.IPv6Address: expected an IPv6 address like \"fd00::2/64\", got \"fd00::2/129\""},
        {"{\"RunConfig\": {\"Bridged\": \"yes\"}}", "uk.json:1:27: RunConfig.Bridged: expected true or false, got a string"},
        {"[]", "uk.json:1:1: expected an object, got an array"},
        {"{\"Program\": \"node\",}", "uk.json:1:20: expected a field name in double quotes"},
        {"{\"Program\": \"node\"", "uk.json:1:19: expected ',' or '}'"},
        {"{\"Program\": \"node\", \"Program\": \"go\"}", "uk.json:1:21: field \"Program\" appears twice"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        CHECK(error_of(c.text) == c.message);
    }
}

TEST_CASE("config: an ops config.json is read as it is, ops-only settings are warned about", "[unit][config]")
{
    // The shape of ops's own documented examples, fields uk does not use included.
    const char* ops = R"({
  "Program": "node",
  "Args": ["hi.js"],
  "Dirs": ["myapp/static"],
  "Files": ["hi.js"],
  "Env": {"NODE_ENV": "production"},
  "MapDirs": {"assets/*": "/assets"},
  "NameServers": ["1.1.1.1"],
  "BaseVolumeSz": "64m",
  "Version": "20.5.0",
  "Klibs": ["ntp"],
  "ManifestPassthrough": {},
  "Boot": "",
  "RebootOnExit": false,
  "RunConfig": {
    "Memory": "2G",
    "CPUs": 2,
    "Ports": ["8083", "8084"],
    "UDPPorts": ["5000"],
    "Accel": true,
    "Verbose": false,
    "Imagename": "hi",
    "Bridged": false,
    "ShowDebug": true
  },
  "CloudConfig": {"Platform": "gcp", "ProjectID": "my-project", "BucketName": "my-bucket"}
})";
    auto config = parse_config(ops, "config.json");
    REQUIRE(config);
    CHECK(config->program == "node");
    CHECK(config->args == std::vector<std::string>{"hi.js"});
    CHECK(config->dirs == std::vector<std::string>{"myapp/static"});
    CHECK(config->files == std::vector<std::string>{"hi.js"});
    CHECK(config->env == std::vector<std::pair<std::string, std::string>>{{"NODE_ENV", "production"}});
    CHECK(config->map_dirs == std::vector<std::pair<std::string, std::string>>{{"assets/*", "/assets"}});
    CHECK(config->name_servers == std::vector<std::string>{"1.1.1.1"});
    CHECK(config->base_volume_size->mib == 64);
    CHECK(config->run.memory->mib == 2048);
    CHECK(config->run.cpus->value == 2u);
    REQUIRE(config->run.ports.size() == 3);
    CHECK(config->run.ports[0].to_string() == "127.0.0.1:8083->8083/tcp");
    CHECK(config->run.ports[1].to_string() == "127.0.0.1:8084->8084/tcp");
    CHECK(config->run.ports[2].to_string() == "127.0.0.1:5000->5000/udp");
    CHECK(config->run.accel == uk::settings::AcceleratorChoice::automatic);
    CHECK(config->run.verbose == false);
    CHECK(config->run.image_name == "hi");
    // Set ops-only fields are named, once each, with their position; empty ones are not.
    CHECK(config->warnings == std::vector<std::string>{
                                  "config.json:11:3: Klibs is an ops setting uk does not use; ignored",
                                  "config.json:24:5: RunConfig.ShowDebug is an ops setting uk does not use; ignored",
                                  "config.json:26:3: CloudConfig is an ops setting uk does not use; ignored",
                              });
}

TEST_CASE("config: ops's Mounts, network and instance fields are honoured", "[unit][config]")
{
    const char* ops = R"({
  "Program": "server",
  "Mounts": {"data": "/var/lib/data"},
  "Volumes": ["./site:/srv:ro", "/var/log/app:/logs"],
  "RunConfig": {
    "Mounts": ["cache:/cache"],
    "Bridged": true,
    "BridgeName": "br1",
    "IPAddress": "192.168.7.2",
    "NetMask": "255.255.255.0",
    "Gateway": "192.168.7.1",
    "IPv6Address": "fd00::2",
    "InstanceName": "web",
    "Background": true,
    "GdbPort": 4321
  }
})";
    auto config = parse_config(ops, "app/config.json");
    REQUIRE(config);
    using uk::settings::MountSpec;
    REQUIRE(config->mounts.size() == 4);
    CHECK(config->mounts[0] == MountSpec{MountSpec::Source::volume, "data", "/var/lib/data", false});
    CHECK(config->mounts[1] == MountSpec{MountSpec::Source::host_folder, "./site", "/srv", true});
    CHECK(config->mounts[2] == MountSpec{MountSpec::Source::host_folder, "/var/log/app", "/logs", false});
    CHECK(config->mounts[3] == MountSpec{MountSpec::Source::volume, "cache", "/cache", false});
    CHECK(config->run.network.mode == "bridge");
    CHECK(config->run.network.bridge == "br1");
    CHECK(config->run.network.ip == "192.168.7.2");
    CHECK(config->run.network.netmask == "255.255.255.0");
    CHECK(config->run.network.gateway == "192.168.7.1");
    CHECK(config->run.network.ipv6 == "fd00::2");
    CHECK(config->run.instance_name == "web");
    CHECK(config->run.detach == true);
    CHECK(config->run.gdb_port == 4321);
    CHECK(config->warnings.empty());
}

TEST_CASE("config: ops's TapName alone is tap networking, what does not fit is warned about", "[unit][config]")
{
    auto tap = parse_config(R"({"RunConfig": {"TapName": "tap0", "IPAddress": "10.0.0.2"}})", "config.json");
    REQUIRE(tap);
    CHECK(tap->run.network.mode == "tap");
    CHECK(tap->run.network.tap == "tap0");
    CHECK(tap->warnings.empty());

    auto bridged = parse_config(R"({"RunConfig": {"Bridged": true, "TapName": "tap0"}})", "config.json");
    REQUIRE(bridged);
    CHECK(bridged->run.network.mode == "bridge");
    CHECK(bridged->run.network.bridge == "br0"); // ops's default
    CHECK_FALSE(bridged->run.network.tap);
    CHECK(bridged->warnings == std::vector<std::string>{
                                   "config.json:1:33: RunConfig.TapName: with Bridged, uk's bridge networking makes "
                                   "its own tap (qemu-bridge-helper); ignored"});

    auto loose = parse_config(R"({"RunConfig": {"BridgeName": "br0",
                                                "IPAddress": "10.0.0.2"}})",
                              "config.json");
    REQUIRE(loose);
    CHECK_FALSE(loose->run.network.mode);
    CHECK(loose->warnings == std::vector<std::string>{
                                 "config.json:1:16: RunConfig.BridgeName: goes with Bridged: true; ignored",
                                 "config.json:2:49: RunConfig.IPAddress: applies to bridge or tap networking (Bridged, "
                                 "TapName): ignored unless uk run is given --net tap or --net bridge"});
}

TEST_CASE("config: uk's own fields", "[unit][config]")
{
    auto config = parse_config(R"({"Program": "bin/server", "Kernel": "vmlinuz", "ReadOnlyRoot": true,
                                   "Compression": "lz4", "RootFs": "erofs", "Arch": "arm64", "Sysroot": "/srv/root", "Strip": true,
                                   "RunConfig": {"Accel": "tcg", "Ports": [8080, "127.0.0.1:9000:90"]}})",
                               "app/uk.json");
    REQUIRE(config);
    CHECK(config->base_dir == "app");
    CHECK(config->kernel == "vmlinuz");
    CHECK(config->readonly_root == true);
    CHECK(config->compression == uk::settings::Compression::lz4);
    CHECK(config->root_fs == uk::settings::RootFs::erofs);
    CHECK(config->arch == uk::Arch::arm64);
    CHECK(config->sysroot == "/srv/root");
    CHECK(config->strip == true);
    CHECK(config->run.accel == uk::settings::AcceleratorChoice::tcg);
    REQUIRE(config->run.ports.size() == 2);
    CHECK(config->run.ports[0].to_string() == "127.0.0.1:8080->8080/tcp");
    CHECK(config->run.ports[1].to_string() == "127.0.0.1:9000->90/tcp");
    CHECK(config->warnings.empty());
}

TEST_CASE("config: -c names a file that must exist, ./uk.json is read only when present", "[unit][config]")
{
    uk::test::TempDir dir;
    auto none = uk::config::load_config(std::nullopt, dir.path());
    REQUIRE(none);
    CHECK_FALSE(*none);

    auto missing = uk::config::load_config(std::filesystem::path("other.json"), dir.path());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == uk::ErrorKind::not_found);
    CHECK(missing.error().message == "config file other.json does not exist");

    uk::test::write_text(dir / "uk.json", R"({"Program": "./server"})");
    auto found = uk::config::load_config(std::nullopt, dir.path());
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->program == "./server");
    CHECK((*found)->base_dir == dir.path() / ".");
}

TEST_CASE("config: the examples in configs/ are valid and need no warning", "[unit][config]")
{
    for (const char* name : {"go-server", "node-server"}) {
        INFO(name);
        auto file = std::filesystem::path(UK_TEST_SOURCE_DIR) / "configs" / name / "uk.json";
        auto config = uk::config::load_config(file, "/");
        REQUIRE(config);
        REQUIRE(*config);
        CHECK((*config)->program);
        CHECK((*config)->warnings.empty());
    }
}

TEST_CASE("config: a byte-order mark is named, not reported as a missing value", "[unit][config]")
{
    CHECK(error_of("\xEF\xBB\xBF{\"Program\": \"node\"}") ==
          "uk.json:1:1: the file starts with a UTF-8 byte-order mark, which JSON does not allow: save it without one "
          "(UTF-8, no BOM)");
}

TEST_CASE("config: RunConfig.Restart, and ops's RebootOnExit as on-failure", "[unit][config]")
{
    auto restart = parse_config(R"({"RunConfig": {"Restart": "on-failure:4"}})", "uk.json");
    REQUIRE(restart);
    CHECK(restart->run.restart == uk::settings::RestartPolicy{uk::settings::RestartPolicy::When::on_failure, 4u});
    CHECK(uk::config::merge(*restart, {}).restart == restart->run.restart);
    auto ops = parse_config(R"({"RebootOnExit": true})", "config.json");
    REQUIRE(ops);
    CHECK(ops->warnings.empty());
    auto merged = uk::config::merge(*ops, {});
    CHECK(merged.restart.when == uk::settings::RestartPolicy::When::on_failure);
    CHECK_FALSE(merged.restart.max_restarts);
    uk::config::Overrides flags;
    flags.restart = uk::settings::RestartPolicy{uk::settings::RestartPolicy::When::always, std::nullopt};
    CHECK(uk::config::merge(*ops, flags).restart.when == uk::settings::RestartPolicy::When::always);
}
