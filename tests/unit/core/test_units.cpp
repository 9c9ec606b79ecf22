#include "core/units.hpp"

#include <catch2/catch.hpp>

TEST_CASE("units: byte counts for people", "[unit][core]")
{
    CHECK(uk::human_bytes(17) == "17 B");
    CHECK(uk::human_bytes(4'481'024) == "4.5 MB");
    CHECK(uk::human_bytes(812'000) == "812.0 KB");
}

TEST_CASE("units: sizes in binary units, as --size and --mem take them", "[unit][core]")
{
    CHECK(uk::binary_size(1ull << 30) == "1G");
    CHECK(uk::binary_size(512ull << 20) == "512M");
    CHECK(uk::binary_size(3ull << 29) == "1.5G");
    CHECK(uk::binary_size(664 * 1024) == "664K");
    CHECK(uk::binary_size(16ull << 40) == "16T");
    CHECK(uk::binary_size(100) == "100B");
}
