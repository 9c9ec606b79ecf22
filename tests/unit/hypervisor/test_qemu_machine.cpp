// A running QEMU as uk sees it, against support/fake-qemu: its console, its exit, and a
// guest it stops by itself, reported as an event at once instead of a silence.
#include "hypervisor/guest_watch.hpp"
#include "hypervisor/qemu_machine.hpp"
#include "support/environment.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <type_traits>
#include <unistd.h>

using namespace uk::hypervisor;
using namespace std::chrono_literals;

namespace {

QemuConfig fake_config(const uk::test::TempDir& dir, Accelerator accelerator)
{
    return {.binary = UK_TEST_FAKE_QEMU,
            .accelerator = accelerator,
            .kernel = dir / "vmlinux",
            .network = NoNetwork{},
            .qmp_socket = dir / "qmp.sock"};
}

// Every event until QEMU ends, the console joined.
struct Seen {
    std::string console;
    bool running = false;
    std::optional<std::string> stop;
    std::optional<int> ended;
};

Seen run_to_end(uk::vm::Machine& machine, bool kill_on_stop)
{
    Seen seen;
    auto until = std::chrono::steady_clock::now() + 30s;
    while (!seen.ended && std::chrono::steady_clock::now() < until) {
        std::visit(
            [&](auto&& event) {
                using Kind = std::decay_t<decltype(event)>;
                if constexpr (std::is_same_v<Kind, uk::vm::event::Running>)
                    seen.running = true;
                else if constexpr (std::is_same_v<Kind, uk::vm::event::Console>)
                    seen.console += event.bytes;
                else if constexpr (std::is_same_v<Kind, uk::vm::event::HypervisorStop>) {
                    seen.stop = event.run_state;
                    if (kill_on_stop)
                        machine.kill();
                } else if constexpr (std::is_same_v<Kind, uk::vm::event::Ended>)
                    seen.ended = event.status;
            },
            machine.next(1s, -1));
    }
    return seen;
}

} // namespace

TEST_CASE("qemu machine: a guest that runs says so, prints, and ends with QEMU", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv status("FAKE_QEMU_STATUS", "3");
    auto machine = QemuMachine::start(fake_config(dir, Accelerator::tcg), dir / "qemu.log");
    REQUIRE(machine);
    auto seen = run_to_end(**machine, false);
    CHECK(seen.running);
    CHECK(seen.console.find("uk-init: exit status 3") != std::string::npos);
    CHECK(seen.ended == 0);
    CHECK_FALSE(seen.stop);
}

TEST_CASE("qemu machine: KVM's internal error is a stop event at once, with QEMU's words kept", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv kvm("FAKE_QEMU_KVM", "internal-error");
    auto machine = QemuMachine::start(fake_config(dir, Accelerator::kvm), dir / "qemu.log");
    REQUIRE(machine);
    auto seen = run_to_end(**machine, true);
    CHECK(seen.stop == "internal-error");
    CHECK((*machine)->diagnostics() == "KVM internal error. Suberror: 1 (emulation failure)");
    CHECK(uk::test::read_text(dir / "qemu.log").starts_with("KVM internal error. Suberror: 1\n"));
    CHECK(uk::test::processes_running_with(dir.path().string()).empty());
}

TEST_CASE("qemu machine: a guest QEMU holds as panicked is a stop event", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv tcg("FAKE_QEMU_TCG", "guest-panicked");
    uk::test::ScopedEnv later("FAKE_QEMU_FAIL_AFTER", "0.5");
    auto machine = QemuMachine::start(fake_config(dir, Accelerator::tcg));
    REQUIRE(machine);
    auto seen = run_to_end(**machine, true);
    CHECK(seen.console.find("fake-qemu: the guest runs") != std::string::npos);
    CHECK(seen.stop == "guest-panicked");
}

TEST_CASE("qemu machine: the power button goes through the private monitor", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv forever("FAKE_QEMU_RUN_SECONDS", "600");
    auto machine = QemuMachine::start(fake_config(dir, Accelerator::tcg));
    REQUIRE(machine);
    // Wait until it runs, then press.
    for (auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;)
        if (std::holds_alternative<uk::vm::event::Running>((*machine)->next(1s, -1)))
            break;
    CHECK((*machine)->press_power_button());
    auto seen = run_to_end(**machine, false);
    CHECK(seen.console.find("uk-init: exit status 143") != std::string::npos);
}

TEST_CASE("qemu machine: QEMU's reason is its first line, without its name", "[unit][hypervisor]")
{
    CHECK(qemu_reason("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\nqemu-system-x86_64: ../kvm.c: "
                      "Assertion failed.\n") == "error: failed to set MSR 0x10a to 0x69");
    CHECK(qemu_reason("\nKVM internal error. Suberror: 1\nemulation failure\n") ==
          "KVM internal error. Suberror: 1 (emulation failure)");
    CHECK(qemu_reason("qemu-system-x86_64: -accel kvm: Could not access KVM kernel module: No such file or directory") ==
          "-accel kvm: Could not access KVM kernel module: No such file or directory");
    CHECK(qemu_reason("").empty());
}

TEST_CASE("guest watch: a pause nobody asked for is a stop, but not with a debugger on the stub", "[unit][hypervisor]")
{
    for (bool debugger : {false, true}) {
        auto watch = GuestWatch::create();
        REQUIRE(watch);
        if (debugger)
            watch->allow_pauses();
        std::string reply = R"({"return": {"running": false, "singlestep": false, "status": "paused"}, "id": "status"})";
        reply += "\n";
        REQUIRE(::write(watch->qemu_end(), reply.data(), reply.size()) == static_cast<ssize_t>(reply.size()));
        auto stop = watch->on_readable();
        INFO("debugger " << debugger);
        CHECK(stop.has_value() == !debugger);
    }
}
