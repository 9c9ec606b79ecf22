#include "vm/host_memory.hpp"
#include "vm/ports.hpp"

#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>

using uk::settings::PortMapping;
using uk::settings::Protocol;
using uk::vm::check_ports_free;

TEST_CASE("ports: a port in use is refused with a way out", "[unit][vm]")
{
    uk::test::ListeningPort listening;
    auto port = listening.port();
    auto taken = check_ports_free({PortMapping{Protocol::tcp, "127.0.0.1", port, 80}});
    REQUIRE_FALSE(taken);
    CHECK(taken.error().kind == uk::ErrorKind::unavailable);
    CHECK(taken.error().message == "port 127.0.0.1:" + std::to_string(port) +
                                       "/tcp is already in use on this machine: stop what uses it or publish another "
                                       "port (-p OTHER:80)");
    auto twice = check_ports_free({PortMapping{Protocol::tcp, "127.0.0.1", 1234, 1}, PortMapping{Protocol::tcp, "127.0.0.1", 1234, 2}});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().message == "host port 127.0.0.1:1234/tcp is published twice");
}

TEST_CASE("host memory: MemTotal in MiB, nothing when it cannot be read", "[unit][vm]")
{
    uk::test::TempDir dir;
    uk::test::write_text(dir / "meminfo", "MemTotal:       24576000 kB\nMemFree:        1 kB\n");
    CHECK(uk::vm::host_memory_mib(dir / "meminfo") == 24000u);
    CHECK_FALSE(uk::vm::host_memory_mib(dir / "missing"));
}
