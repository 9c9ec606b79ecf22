// Settings typed once: every parser's good and bad forms, with the messages both the flags
// and the config file put their place in front of.
#include "settings/settings.hpp"

#include <catch2/catch.hpp>

using namespace uk::settings;
using namespace std::chrono_literals;

TEST_CASE("settings: memory sizes as people and QEMU write them", "[unit][settings]")
{
    CHECK(parse_memory_size("128M")->mib == 128);
    CHECK(parse_memory_size("128m")->mib == 128);
    CHECK(parse_memory_size("1G")->mib == 1024);
    CHECK(parse_memory_size("256")->mib == 256);
    CHECK(parse_memory_size("65536K")->mib == 64);
    CHECK(parse_memory_size("128MB").error().message == "expected a size like \"128M\" or \"1G\", got \"128MB\"");
    CHECK(parse_memory_size("128MB").error().kind == uk::ErrorKind::usage);
    CHECK_FALSE(parse_memory_size("M"));
    CHECK_FALSE(parse_memory_size("-5M"));
    CHECK_FALSE(parse_memory_size("99999999999999999999G"));
    CHECK(parse_memory_size("1000K").error().message == "expected a whole number of MiB, got \"1000K\"");
    CHECK(MemorySize{128}.to_string() == "128M");
    CHECK(MemorySize{2048}.to_string() == "2G");
}

TEST_CASE("settings: CPU counts from 1 to the kernel's limit", "[unit][settings]")
{
    CHECK(parse_cpu_count(1)->value == 1);
    CHECK(parse_cpu_count(64)->value == 64);
    CHECK(parse_cpu_count(0).error().message == "expected 1 to 64 CPUs, got 0");
    CHECK(parse_cpu_count(65).error().message == "expected 1 to 64 CPUs, got 65");
}

TEST_CASE("settings: docker's -p forms", "[unit][settings]")
{
    auto one = parse_port_mapping("8080");
    REQUIRE(one);
    CHECK(one->host_address == "127.0.0.1");
    CHECK(one->host_port == 8080);
    CHECK(one->guest_port == 8080);
    CHECK(one->protocol == Protocol::tcp);
    auto two = parse_port_mapping("18080:80");
    REQUIRE(two);
    CHECK(two->host_port == 18080);
    CHECK(two->guest_port == 80);
    auto three = parse_port_mapping("0.0.0.0:5353:53/udp");
    REQUIRE(three);
    CHECK(three->host_address == "0.0.0.0");
    CHECK(three->protocol == Protocol::udp);
    CHECK(three->to_string() == "0.0.0.0:5353->53/udp");
    auto address_only = parse_port_mapping("192.168.1.2:9000");
    REQUIRE(address_only);
    CHECK(address_only->host_address == "192.168.1.2");
    CHECK(address_only->guest_port == 9000);
}

TEST_CASE("settings: malformed ports say what is wrong", "[unit][settings]")
{
    auto error = [](const std::string& spec) {
        auto result = parse_port_mapping(spec);
        REQUIRE_FALSE(result);
        CHECK(result.error().kind == uk::ErrorKind::usage);
        return result.error().message;
    };
    const std::string form = "; expected [IP:]HOST[:GUEST][/tcp|/udp], e.g. 8080 or 8080:80";
    CHECK(error("http") == "\"http\" is not a port from 1 to 65535" + form);
    CHECK(error("70000") == "\"70000\" is not a port from 1 to 65535" + form);
    CHECK(error("8080:0") == "\"0\" is not a port from 1 to 65535" + form);
    CHECK(error("8080/sctp") == "unknown protocol \"sctp\"" + form);
    CHECK(error("300.1.1.1:80:80") == "\"300.1.1.1\" is not an IPv4 address" + form);
    CHECK(error("1:2:3:4") == "\"1:2:3:4\" has too many ':'" + form);
}

TEST_CASE("settings: compression, accelerator and boot mode by name", "[unit][settings]")
{
    CHECK(parse_compression("lz4") == Compression::lz4);
    CHECK(parse_compression("auto") == Compression::automatic);
    CHECK(to_string(Compression::none) == "none");
    CHECK(parse_compression("xz").error().message == "expected \"auto\", \"zstd\", \"lz4\" or \"none\", got \"xz\"");
    CHECK(parse_accelerator_choice("kvm") == AcceleratorChoice::kvm);
    CHECK(parse_accelerator_choice("hvf").error().message == "expected \"auto\", \"kvm\" or \"tcg\", got \"hvf\"");
    CHECK(parse_boot_mode("firmware") == BootMode::firmware);
    CHECK_FALSE(parse_boot_mode("uefi"));
}

TEST_CASE("settings: durations", "[unit][settings]")
{
    CHECK(parse_duration("10s").value() == 10s);
    CHECK(parse_duration("10").value() == 10s);
    CHECK(parse_duration("500ms").value() == 500ms);
    CHECK(parse_duration("2m").value() == 120s);
    CHECK(parse_duration("1.5s").value() == 1500ms);
    for (const char* bad : {"", "s", "ten", "10 s", "10d", "-1s"}) {
        INFO(bad);
        auto parsed = parse_duration(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().message == "expected a duration like 10s, 500ms or 2m, got \"" + std::string(bad) + "\"");
    }
}

TEST_CASE("settings: -v's forms: a volume or a host folder, read-only or not", "[unit][settings]")
{
    auto volume = parse_mount_spec("data:/var/lib/data");
    REQUIRE(volume);
    CHECK(volume->source_kind == MountSpec::Source::volume);
    CHECK(volume->source == "data");
    CHECK(volume->target == "/var/lib/data");
    CHECK_FALSE(volume->read_only);
    CHECK(volume->to_string() == "data:/var/lib/data");

    auto host = parse_mount_spec("/srv/www:/www/:ro");
    REQUIRE(host);
    CHECK(host->source_kind == MountSpec::Source::host_folder);
    CHECK(host->source == "/srv/www");
    CHECK(host->target == "/www");
    CHECK(host->read_only);
    CHECK(host->to_string() == "/srv/www:/www:ro");

    CHECK(parse_mount_spec("./site:/srv")->source_kind == MountSpec::Source::host_folder);
    CHECK(parse_mount_spec(".:/srv")->source_kind == MountSpec::Source::host_folder);
    CHECK(parse_mount_spec("../up:/srv")->source == "../up");
    CHECK_FALSE(parse_mount_spec("data:/srv:rw")->read_only);
    CHECK(parse_mount_spec("data://a/./b//")->target == "/a/b");
}

TEST_CASE("settings: a bad -v value says what is wrong in one line", "[unit][settings]")
{
    auto message = [](std::string_view spec) { return parse_mount_spec(spec).error().message; };
    const std::string expected = "; expected NAME:/path or /host/folder:/path, with :ro to mount read-only";
    CHECK(message("data") == "\"data\" has no ':' between what to mount and where" + expected);
    CHECK(message("data:data") == "the guest path \"data\" is not absolute" + expected);
    CHECK(message("data:/data:rx") == "unknown option \"rx\" (ro or rw)" + expected);
    CHECK(message("data:/data:ro:x") == "\"data:/data:ro:x\" has too many ':'" + expected);
    CHECK(message(":/data") == "nothing to mount before the ':'" + expected);
    CHECK(message("a/b:/data") ==
          "\"a/b\" is neither a volume name nor a host folder (host folders start with / or .)" + expected);
    CHECK(message("data:/") == "the guest path cannot be \"/\", the image's own root" + expected);
    CHECK(message("data:/a/../etc") == "the guest path \"/a/../etc\" has a \"..\"" + expected);
    CHECK(message("data:/proc/x") ==
          "the guest path \"/proc/x\" is inside /proc, which the guest's kernel provides" + expected);
    CHECK(parse_mount_spec("data").error().kind == uk::ErrorKind::usage);
    CHECK(parse_mount_spec("data:/device")); // only /dev itself and below
}

TEST_CASE("settings: --strace's options split at commas, and a value keeps its own", "[unit][settings]")
{
    using uk::settings::split_strace_options;
    CHECK(split_strace_options("-f,-e,trace=file") == std::vector<std::string>{"-f", "-e", "trace=file"});
    CHECK(split_strace_options("-e,trace=openat,close,-s,200") ==
          std::vector<std::string>{"-e", "trace=openat,close", "-s", "200"});
    CHECK(split_strace_options("-f") == std::vector<std::string>{"-f"});
    CHECK(split_strace_options("").empty());
}

TEST_CASE("settings: restart policies in Docker's words", "[unit][settings]")
{
    using uk::settings::parse_restart_policy;
    using When = uk::settings::RestartPolicy::When;
    CHECK(parse_restart_policy("no")->when == When::no);
    CHECK(parse_restart_policy("always")->when == When::always);
    CHECK(parse_restart_policy("unless-stopped")->when == When::unless_stopped);
    CHECK(*parse_restart_policy("on-failure") == uk::settings::RestartPolicy{When::on_failure, std::nullopt});
    CHECK(*parse_restart_policy("on-failure:5") == uk::settings::RestartPolicy{When::on_failure, 5u});
    CHECK(uk::settings::to_string(*parse_restart_policy("on-failure:5")) == "on-failure:5");
    CHECK(uk::settings::to_string(*parse_restart_policy("unless-stopped")) == "unless-stopped");
    CHECK(parse_restart_policy("on-failure:x").error().message ==
          "on-failure:x: expected a whole number of restarts after the colon");
    CHECK_FALSE(parse_restart_policy("on-failure:"));
    CHECK_FALSE(parse_restart_policy("on-failure:-1"));
    CHECK(parse_restart_policy("sometimes").error().message ==
          "expected \"no\", \"on-failure[:MAX]\", \"always\" or \"unless-stopped\", got \"sometimes\"");
}
