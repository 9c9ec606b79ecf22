// Instance records: names are claimed once, and the state is derived from what is true
// now (is that QEMU alive? what did the console say?), never from what was stored.
#include "core/files.hpp"
#include "core/process.hpp"
#include "instance/store.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <thread>

using uk::instance::State;
using uk::instance::Store;

namespace {

uk::instance::Record record_named(const std::string& name, int pid)
{
    return {.name = name, .image = "/images/web.img", .created = "2026-11-23T10:00:00Z", .detached = true,
            .qemu_pid = pid, .memory_mib = 64, .cpus = 1, .accelerator = "tcg", .network = "user",
            .ports = {"127.0.0.1:8080->8080/tcp"},
            .mounts = {{uk::settings::MountSpec::Source::volume, "data", "/var/lib/app", false},
                       {uk::settings::MountSpec::Source::host_folder, "/home/me/site", "/srv", true}}};
}

// A process whose command line names the instance's QMP socket, as its QEMU's does.
uk::Process fake_qemu(const uk::instance::Files& files)
{
    auto process = uk::Process::spawn({.argv = {"sh", "-c", "sleep 60", files.qmp_socket().string()}});
    REQUIRE(process);
    // Until the child has exec'd, its command line is still this test's: wait for sh's.
    auto cmdline = "/proc/" + std::to_string(process->pid()) + "/cmdline";
    for (int tries = 0; tries < 500; tries++) {
        auto text = uk::read_file(cmdline);
        if (text && text->find(files.qmp_socket().string()) != std::string::npos)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::move(*process);
}

} // namespace

TEST_CASE("instance: a name is claimed once, and must be a valid name", "[unit][instance]")
{
    uk::test::TempDir dir;
    Store store(dir.path());
    REQUIRE(store.create("web"));
    auto again = store.create("web");
    REQUIRE_FALSE(again);
    CHECK(again.error().kind == uk::ErrorKind::unavailable);
    CHECK(again.error().message ==
          "an instance named web already exists: remove it (uk instance rm web) or choose another --name");
    auto bad = store.create("Web Server");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == uk::ErrorKind::usage);
    auto missing = store.load("api");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == uk::ErrorKind::not_found);
    CHECK(missing.error().message == "no instance named api (uk ps lists them)");
}

TEST_CASE("instance: records round-trip, list by name, and a damaged one is skipped", "[unit][instance]")
{
    uk::test::TempDir dir;
    Store store(dir.path());
    for (const char* name : {"zeta", "alpha"}) {
        REQUIRE(store.create(name));
        REQUIRE(store.save(record_named(name, 0)));
    }
    REQUIRE(store.create("broken"));
    uk::test::write_text(store.files("broken").record(), "{\"name\": ");
    auto loaded = store.load("alpha");
    REQUIRE(loaded);
    CHECK(loaded->ports == std::vector<std::string>{"127.0.0.1:8080->8080/tcp"});
    CHECK(loaded->mounts == record_named("alpha", 0).mounts);
    // Records from before mounts existed read as having none.
    auto old = uk::instance::to_json(record_named("old", 0));
    old.erase("mounts");
    CHECK(uk::instance::record_from_json(old, "old")->mounts.empty());
    auto all = store.list();
    REQUIRE(all.size() == 2);
    CHECK(all[0].name == "alpha");
    CHECK(all[1].name == "zeta");
    REQUIRE(store.remove("zeta"));
    CHECK_FALSE(store.exists("zeta"));
}

TEST_CASE("instance: running only while its own QEMU lives, then exited, stopped or crashed", "[unit][instance]")
{
    uk::test::TempDir dir;
    Store store(dir.path());
    auto files = *store.create("web");
    {
        auto qemu = fake_qemu(files);
        auto record = record_named("web", qemu.pid());
        CHECK(uk::instance::status_of(record, files).state == State::running);
        // Another instance's record naming the same pid is not running: the command line
        // does not name its folder.
        auto other = *store.create("other");
        CHECK(uk::instance::status_of(record_named("other", qemu.pid()), other).state == State::crashed);
    }
    auto record = record_named("web", 999999); // gone
    CHECK(uk::instance::status_of(record, files).state == State::crashed);
    CHECK(uk::instance::describe(uk::instance::status_of(record, files)) == "crashed");

    uk::test::write_text(files.console_log(), "go-server: listening\nuk-init: exit status 3\nreboot: Power down\n");
    auto exited = uk::instance::status_of(record, files);
    CHECK(exited.state == State::exited);
    CHECK(exited.exit_status == 3);
    CHECK(uk::instance::describe(exited) == "exited (3)");

    record.stop_requested = true;
    CHECK(uk::instance::describe(uk::instance::status_of(record, files)) == "stopped (3)");
    uk::test::write_text(files.console_log(), "go-server: listening\n");
    CHECK(uk::instance::describe(uk::instance::status_of(record, files)) == "stopped (killed)");
}

TEST_CASE("instance: restarting while its monitor lives between two runs, and a restart line ends a run's status",
          "[unit][instance]")
{
    uk::test::TempDir dir;
    Store store(dir.path());
    auto files = *store.create("web");
    auto record = record_named("web", 999999);
    record.restart = *uk::settings::parse_restart_policy("on-failure:3");
    record.restarts = 2;
    record.last_exit_status = 3;
    record.restarting = true;
    REQUIRE(store.save(record));
    auto loaded = store.load("web");
    REQUIRE(loaded);
    CHECK(loaded->restart == record.restart);
    CHECK(loaded->restarts == 2);
    CHECK(loaded->last_exit_status == 3);
    CHECK(loaded->restarting);

    {
        // A process named as the monitor of "web" is, as `uk instance monitor web`.
        auto monitor = uk::Process::spawn({.argv = {"sh", "-c", "sleep 60", "sh", "instance", "monitor", "web"}});
        REQUIRE(monitor);
        record.monitor_pid = monitor->pid();
        CHECK(uk::instance::monitor_alive(record));
        auto status = uk::instance::status_of(record, files);
        CHECK(status.state == State::restarting);
        CHECK(uk::instance::describe(status) == "restarting (3)");
        CHECK(uk::instance::is_live(status.state));
        // The VM has ended and the monitor has not yet written down what comes next: under
        // a restart policy that is still not over (never "exited", then "restarting" again).
        record.restarting = false;
        uk::test::write_text(files.console_log(), "uk-init: exit status 3\n");
        CHECK(uk::instance::status_of(record, files).state == State::restarting);
        record.stop_requested = true; // ... unless it was asked to stop
        CHECK(uk::instance::status_of(record, files).state == State::stopped);
        record.stop_requested = false;
        record.restart = {};
        CHECK(uk::instance::status_of(record, files).state == State::exited);
        record.restart = *uk::settings::parse_restart_policy("on-failure:3");
        record.restarting = true;
        record.name = "webs"; // another instance's monitor is not this one's
        CHECK_FALSE(uk::instance::monitor_alive(record));
        record.name = "web";
    }
    CHECK_FALSE(uk::instance::monitor_alive(record)); // gone: the restart will not come

    uk::test::write_text(files.console_log(), "uk-init: exit status 3\n" + uk::instance::restart_line(1, 3, std::chrono::milliseconds(100)) +
                                                  "\ngo-server: listening\n");
    CHECK(uk::instance::exit_status_in_log(files.console_log()) == std::nullopt);
    CHECK(uk::instance::restart_line(2, std::nullopt, std::chrono::milliseconds(1600)) ==
          "uk: restart 2 after the guest died (waited 1.6 s)");
}
