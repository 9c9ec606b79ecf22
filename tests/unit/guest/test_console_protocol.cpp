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

TEST_CASE("console: the OOM killer's line, and the panic of a guest too small to boot", "[unit][guest]")
{
    auto killed = uk::guest::find_oom_kill(
        "[    9.120000] Out of memory: Killed process 71 (node) total-vm:614532kB, anon-rss:4264kB, file-rss:0kB, "
        "shmem-rss:0kB, UID:0 pgtables:264kB oom_score_adj:0");
    REQUIRE(killed);
    CHECK(killed->process == "node");
    CHECK(killed->anon_rss_kib == 4264);
    CHECK(killed->file_rss_kib == 0);
    auto spaced = uk::guest::find_oom_kill("Out of memory: Killed process 9 (go server) total-vm:1kB, anon-rss:20480kB, "
                                           "file-rss:812kB, shmem-rss:0kB");
    REQUIRE(spaced);
    CHECK(spaced->process == "go server");
    CHECK(spaced->file_rss_kib == 812);
    CHECK_FALSE(uk::guest::find_oom_kill("node invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)"));
    CHECK(uk::guest::is_out_of_memory_panic("Kernel panic - not syncing: System is deadlocked on memory"));
    CHECK(uk::guest::is_out_of_memory_panic("Kernel panic - not syncing: Out of memory and no killable processes..."));
    CHECK_FALSE(uk::guest::is_out_of_memory_panic("Kernel panic - not syncing: Attempted to kill init!"));
}
