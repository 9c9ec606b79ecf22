#include "guest/console_protocol.hpp"

#include <catch2/catch.hpp>

using uk::guest::find_exit_status_line;

TEST_CASE("console: uk-init's status line, also after output without a newline", "[unit][guest]")
{
    CHECK(find_exit_status_line("uk-init: exit status 0")->status == 0);
    CHECK(find_exit_status_line("uk-init: exit status 137")->status == 137);
    CHECK(find_exit_status_line("partial outputuk-init: exit status 3")->status == 3);
    CHECK(find_exit_status_line("partial outputuk-init: exit status 3")->at == 14);
    CHECK_FALSE(find_exit_status_line("uk-init: exit status"));
    CHECK_FALSE(find_exit_status_line("uk-init: exit status 3x"));
    CHECK_FALSE(find_exit_status_line("uk-init: exit status 256"));
    CHECK_FALSE(find_exit_status_line("the exit status 3"));
}

TEST_CASE("console: the kernel's panic line", "[unit][guest]")
{
    CHECK(uk::guest::is_kernel_panic_line("[    0.5] Kernel panic - not syncing: VFS: Unable to mount root fs"));
    CHECK_FALSE(uk::guest::is_kernel_panic_line("uk-init: exit status 0"));
}
