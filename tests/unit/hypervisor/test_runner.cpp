#include "hypervisor/runner.hpp"

#include <catch2/catch.hpp>

using uk::hypervisor::parse_exit_status_line;

TEST_CASE("runner: uk-init's status line, also after output without a newline", "[unit][hypervisor]")
{
    CHECK(parse_exit_status_line("uk-init: exit status 0") == 0);
    CHECK(parse_exit_status_line("uk-init: exit status 137") == 137);
    CHECK(parse_exit_status_line("partial outputuk-init: exit status 3") == 3);
    CHECK_FALSE(parse_exit_status_line("uk-init: exit status"));
    CHECK_FALSE(parse_exit_status_line("uk-init: exit status 3x"));
    CHECK_FALSE(parse_exit_status_line("uk-init: exit status 256"));
    CHECK_FALSE(parse_exit_status_line("the exit status 3"));
}
