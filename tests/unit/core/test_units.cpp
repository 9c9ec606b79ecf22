#include "core/units.hpp"

#include <catch2/catch.hpp>

TEST_CASE("units: byte counts for people", "[unit][core]")
{
    CHECK(uk::human_bytes(17) == "17 B");
    CHECK(uk::human_bytes(4'481'024) == "4.5 MB");
    CHECK(uk::human_bytes(812'000) == "812.0 KB");
}
