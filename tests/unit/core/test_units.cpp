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
