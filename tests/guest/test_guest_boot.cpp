// The guest on its own: the committed kernel boots uk-init from a squashfs root, uk-init
// runs the program from the manifest and ends with "uk-init: exit status N".
#include "guest/guest_vm.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using nlohmann::json;
using uk::test::GuestOptions;
using uk::test::GuestRoot;
using uk::test::GuestVm;
using uk::test::TempDir;

namespace {

// A guest whose root holds the probe program, booted with the given manifest fields.
class ProbeGuest {
public:
    explicit ProbeGuest(json manifest, GuestOptions options = {}) : root_(dir_)
    {
        root_.add_file("/probe", UK_TEST_PROBE);
        manifest["version"] = 1;
        if (!manifest.contains("program"))
            manifest["program"] = "/probe";
        root_.set_manifest(manifest);
        vm_.emplace(dir_, root_.pack(), options);
    }
    GuestVm& vm() { return *vm_; }

    // Boots to the end: QEMU's status (empty if it did not end by itself) and the console.
    std::pair<std::optional<int>, std::string> run_to_end()
    {
        auto status = vm_->wait_for_exit(120s);
        return {status, vm_->console()};
    }

    // The ACPI power button, once the probe says it is waiting.
    void press_power_button()
    {
        REQUIRE(vm_->wait_for_console("probe: waiting", 120s));
        vm_->monitor("system_powerdown");
    }

private:
    TempDir dir_;
    GuestRoot root_;
    std::optional<GuestVm> vm_;
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

TEST_CASE("the program gets its argv and env, and its exit status ends the VM", "[guest]")
{
    ProbeGuest guest(json{{"argv", {"/probe", "exit", "7", "two words"}}, {"env", {{"UK_PROBE", "hello there"}}}});
    auto [status, console] = guest.run_to_end();
    INFO(console);
    REQUIRE(status == 0); // QEMU ended by itself, through ACPI power-off
    CHECK(contains(console, "probe: argv[0]=/probe\n"));
    CHECK(contains(console, "probe: argv[1]=exit\n"));
    CHECK(contains(console, "probe: argv[2]=7\n"));
    CHECK(contains(console, "probe: argv[3]=two words\n"));
    CHECK(contains(console, "probe: UK_PROBE=hello there\n"));
    CHECK(contains(console, "uk-init: exit status 7\n"));
}

TEST_CASE("a program killed by SIGKILL reports 128 + 9", "[guest]")
{
    auto [status, console] = ProbeGuest(json{{"argv", {"/probe", "kill-self"}}}).run_to_end();
    INFO(console);
    REQUIRE(status == 0);
    CHECK(contains(console, "uk-init: exit status 137\n"));
}

TEST_CASE("a missing program gives one clear line and status 127", "[guest]")
{
    auto [status, console] = ProbeGuest(json{{"program", "/app/server"}}).run_to_end();
    INFO(console);
    REQUIRE(status == 0);
    CHECK(contains(console, "uk-init: cannot start /app/server: no such file in the image (check Program in the config)\n"));
    CHECK(contains(console, "uk-init: exit status 127\n"));
}

TEST_CASE("a broken manifest gives one clear line with its position and status 127", "[guest]")
{
    TempDir dir;
    GuestRoot root(dir);
    root.set_manifest_text("{\"version\": 1,\n \"program\": \"/probe\",\n \"argv\": [\"/probe\" 7]}");
    GuestVm vm(dir, root.pack(), {});
    REQUIRE(vm.wait_for_exit(120s) == 0);
    auto console = vm.console();
    INFO(console);
    CHECK(contains(console, "uk-init: bad manifest /etc/uk/manifest.json: line 3, column 20: expected ',' or ']'\n"));
    CHECK(contains(console, "uk-init: exit status 127\n"));
}

TEST_CASE("uk-init sets up a writable root, /tmp, /dev/shm, /proc, /sys, the hostname and overcommit", "[guest]")
{
    auto [status, console] = ProbeGuest(json{{"argv", {"/probe", "check-guest"}}, {"hostname", "probe-host"}}).run_to_end();
    INFO(console);
    REQUIRE(status == 0);
    CHECK(contains(console, "probe: hostname=probe-host\n"));
    CHECK(contains(console, "probe: resolv.conf: nameserver 10.0.2.3\n"));
    CHECK(contains(console, "probe: overcommit ok\n"));
    CHECK_FALSE(contains(console, "FAILED"));
    CHECK(contains(console, "uk-init: exit status 0\n"));
}

TEST_CASE("a read-only root stays read-only while /tmp is writable", "[guest]")
{
    auto [status, console] = ProbeGuest(json{{"argv", {"/probe", "check-guest"}}, {"readonly_root", true}}).run_to_end();
    INFO(console);
    REQUIRE(status == 0);
    CHECK(contains(console, "probe: writable-root FAILED\n"));
    CHECK(contains(console, "probe: writable-tmp ok\n"));
    CHECK(contains(console, "uk-init: exit status 1\n"));
}

TEST_CASE("the ACPI power button becomes SIGTERM to the program", "[guest]")
{
    ProbeGuest guest(json{{"argv", {"/probe", "wait-term"}}});
    guest.press_power_button();
    auto [status, console] = guest.run_to_end();
    INFO(console);
    REQUIRE(status == 0);
    CHECK(contains(console, "probe: got SIGTERM\n"));
    CHECK(contains(console, "uk-init: exit status 0\n"));
}

TEST_CASE("a program that ignores the stop request is killed after the grace period", "[guest]")
{
    ProbeGuest guest(json{{"argv", {"/probe", "ignore-term"}}, {"stop_grace_seconds", 1}});
    guest.press_power_button();
    auto [status, console] = guest.run_to_end();
    INFO(console);
    REQUIRE(status == 0);
    CHECK(contains(console, "uk-init: /probe did not exit within 1 s of the stop request; killing it\n"));
    CHECK(contains(console, "uk-init: exit status 137\n"));
}

TEST_CASE("the guest's clock and timers keep the host's pace", "[guest]")
{
    // Guards tsc_early_khz (a wrong TSC rate makes guest time run fast or slow) and
    // lapic_timer_period (a wrong period makes timers fire late): either way a 2 s sleep
    // would be far from 2 s. The bounds are wide on purpose: they catch factors, not noise.
    ProbeGuest guest(json{{"argv", {"/probe", "sleep", "2000"}}});
    REQUIRE(guest.vm().wait_for_console("probe: sleeping", 120s));
    auto host_start = std::chrono::steady_clock::now();
    REQUIRE(guest.vm().wait_for_console("probe: slept", 60s));
    auto host_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - host_start);
    auto [status, console] = guest.run_to_end();
    INFO(console);
    REQUIRE(status == 0);

    auto number_after = [&](const std::string& key) {
        auto at = console.find(key);
        REQUIRE(at != std::string::npos);
        return std::stoll(console.substr(at + key.size()));
    };
    auto guest_ms = number_after("probe: slept monotonic_ms=");
    CHECK(guest_ms >= 2000);
    CHECK(guest_ms < 6000);
    CHECK(host_ms.count() > 1000);
    CHECK(host_ms.count() < 10000);
    // The wall clock comes from the emulated RTC: it must be today, not 1970.
    auto guest_now = number_after("probe: realtime=");
    auto host_now = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    CHECK(std::llabs(host_now - guest_now) < 60);
}
