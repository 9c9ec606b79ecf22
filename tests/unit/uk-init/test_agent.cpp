// uk-init's stats agent, reading a /proc the test writes: what it answers is what uk
// instance stats parses (guest/stats.hpp), field for field.
#include "guest/stats.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"
#include "uk-init/agent.h"

#include <catch2/catch.hpp>
#include <string>

namespace {

std::string answer(const std::string& request, const std::filesystem::path& proc)
{
    char out[8192];
    int n = agent_answer(request.c_str(), proc.c_str(), out, sizeof out);
    REQUIRE(n >= 0);
    return std::string(out, static_cast<std::size_t>(n));
}

} // namespace

TEST_CASE("agent: the guest's /proc as one JSON line that uk reads back", "[unit][uk-init]")
{
    uk::test::TempDir proc;
    using uk::test::write_text;
    write_text(proc / "uptime", "12.50 10.00\n");
    write_text(proc / "loadavg", "0.50 0.25 0.10 1/30 77\n");
    write_text(proc / "stat", "cpu  300 0 100 900 50 10 20 0 0 0\ncpu0 300 0 100 900 50 10 20 0 0 0\nintr 1\n");
    write_text(proc / "meminfo", "MemTotal:         119460 kB\nMemFree:           89000 kB\nMemAvailable:      "
                                 "90000 kB\nBuffers:             100 kB\nCached:             4900 kB\n"
                                 "Shmem:               300 kB\nAnonPages:          4200 kB\nKernelStack:     480 kB\n"
                                 "PageTables:          120 kB\nSReclaimable:        600 kB\nSUnreclaim:   "
                                 "5400 kB\nPercpu:               160 kB\n");
    write_text(proc / "iomem", "00001000-0009fbff : System RAM\n00100000-01ffffff : System RAM\n"
                               "  00200000-007fffff : Kernel code\n  00800000-00afffff : Kernel rodata\n"
                               "  00b00000-00bfffff : Kernel data\n  00c00000-00c7ffff : Kernel bss\n");
    std::filesystem::create_directories(proc / "net");
    write_text(proc / "net/dev",
               "Inter-|   Receive                                                |  Transmit\n"
               " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo "
               "colls carrier compressed\n"
               "    lo:    9999      10    0    0    0     0          0         0     9999      10    0    0    0     "
               "0       0          0\n"
               "  eth0:    5000      40    0    0    0     0          0         0     7000      30    0    0    0     "
               "0       0          0\n");
    write_text(proc / "diskstats", " 254       0 vda 28 0 4114 10 2 0 16 1 0 20 11 0 0 0 0\n"
                                   " 254       1 vda1 20 0 4000 10 0 0 0 0 0 20 11 0 0 0 0\n"
                                   "   7       0 loop0 5 0 50 0 0 0 0 0 0 0 0 0 0 0 0\n");
    // The program (pid 40) and a kernel thread (pid 2, no VmRSS); pid 1 is uk-init.
    for (auto pid : {"1", "2", "40"})
        std::filesystem::create_directories(proc / pid);
    write_text(proc / "1/status", "Name:\tuk-init\nVmRSS:\t     300 kB\n");
    write_text(proc / "2/status", "Name:\tkthreadd\n");
    write_text(proc / "40/status", "Name:\tgo-server\nVmRSS:\t    4140 kB\nRssAnon:\t    3000 kB\nRssFile:\t"
                                   "    1140 kB\n");
    write_text(proc / "40/stat", "40 (go server) S 1 40 40 0 -1 4194560 100 0 0 0 20 5 0 0 20 0 4 0 50 0 0\n");

    auto line = answer("stats 42", proc.path());
    INFO(line);
    CHECK(line.find('\n') == std::string::npos);
    auto stats = uk::guest::parse_stats_answer(line, 42);
    REQUIRE(stats);
    CHECK(stats->uptime_s == 12.5);
    CHECK(stats->cpu.count == 1);
    CHECK(stats->cpu.busy_s == Approx(4.3));  // user, system, irq, softirq
    CHECK(stats->cpu.idle_s == Approx(9.5));  // idle and iowait
    CHECK(stats->cpu.load == std::array<double, 3>{0.5, 0.25, 0.1});
    CHECK(stats->memory.total_kib == 119460);
    CHECK(stats->memory.used_kib == 119460 - 89000 - 5000);
    CHECK(stats->memory.available_kib == 90000);
    CHECK(stats->memory.page_cache_kib == 5000);
    CHECK(stats->memory.shmem_kib == 300);
    CHECK(stats->memory.anon_kib == 4200);
    CHECK(stats->memory.slab_reclaimable_kib == 600);
    CHECK(stats->memory.slab_unreclaimable_kib == 5400);
    CHECK(stats->memory.kernel_stack_kib == 480);
    CHECK(stats->memory.page_tables_kib == 120);
    CHECK(stats->memory.percpu_kib == 160);
    CHECK(stats->memory.kernel_image_kib == (0xc80000 - 0x200000) / 1024); // code, rodata, data, bss
    CHECK(stats->network.rx_bytes == 5000); // loopback left out
    CHECK(stats->network.tx_bytes == 7000);
    CHECK(stats->network.rx_packets == 40);
    CHECK(stats->disk.reads == 28); // the disk, not its partition again, nor a loop device
    CHECK(stats->disk.read_bytes == 4114 * 512);
    CHECK(stats->disk.writes == 2);
    CHECK(stats->disk.written_bytes == 16 * 512);
    CHECK(stats->program.processes == 1);
    CHECK(stats->program.rss_kib == 4140);
    CHECK(stats->program.rss_anon_kib == 3000);
    CHECK(stats->program.rss_file_kib == 1140);
    CHECK(stats->program.cpu_s == Approx(0.25));

    CHECK_FALSE(uk::guest::parse_stats_answer(line, 41)); // another asker's answer
    CHECK(answer("reboot", proc.path()) == "{\"error\":\"unknown request; expected: stats ID\"}");
    CHECK(uk::guest::parse_stats_answer(answer("reboot", proc.path()), 1).error().message ==
          "the guest's agent said: \"unknown request; expected: stats ID\"");
    char small[16];
    CHECK(agent_answer("stats 1", proc.path().c_str(), small, sizeof small) == -1);
}
