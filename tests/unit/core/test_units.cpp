#include "core/units.hpp"

#include <catch2/catch.hpp>

TEST_CASE("units: memory sizes as people and QEMU write them", "[unit][core]")
{
    CHECK(uk::parse_memory_mib("128M").value() == 128);
    CHECK(uk::parse_memory_mib("128m").value() == 128);
    CHECK(uk::parse_memory_mib("1G").value() == 1024);
    CHECK(uk::parse_memory_mib("256").value() == 256);
    CHECK(uk::parse_memory_mib("65536K").value() == 64);
    CHECK(uk::parse_memory_mib("128MB").error().message ==
          "\"128MB\" is not a memory size: expected a number with K, M or G, like \"128M\"");
    CHECK_FALSE(uk::parse_memory_mib("M"));
    CHECK_FALSE(uk::parse_memory_mib("-5M"));
    CHECK(uk::parse_memory_mib("1000K").error().message == "memory size \"1000K\" is not a whole number of MiB");
}

TEST_CASE("units: byte counts for people", "[unit][core]")
{
    CHECK(uk::human_bytes(17) == "17 B");
    CHECK(uk::human_bytes(4'481'024) == "4.5 MB");
    CHECK(uk::human_bytes(812'000) == "812.0 KB");
}

TEST_CASE("units: durations", "[unit][core]")
{
    using namespace std::chrono_literals;
    CHECK(uk::parse_duration("10s").value() == 10s);
    CHECK(uk::parse_duration("10").value() == 10s);
    CHECK(uk::parse_duration("500ms").value() == 500ms);
    CHECK(uk::parse_duration("2m").value() == 120s);
    CHECK(uk::parse_duration("1.5s").value() == 1500ms);
    for (const char* bad : {"", "s", "ten", "10 s", "10d", "-1s"}) {
        INFO(bad);
        auto parsed = uk::parse_duration(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().message == "\"" + std::string(bad) + "\" is not a duration: expected e.g. 10s, 500ms or 2m");
    }
}
