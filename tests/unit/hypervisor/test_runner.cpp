#include "hypervisor/runner.hpp"
#include "support/environment.hpp"
#include "support/temp_dir.hpp"

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

namespace {

class Collect final : public uk::hypervisor::RunObserver {
public:
    void console_line(std::string_view line) override { lines.emplace_back(line); }
    void stopping(bool) override {}
    std::vector<std::string> lines;
};

uk::hypervisor::RunRequest fake_run(const uk::test::TempDir& dir, uk::hypervisor::Accelerator accelerator)
{
    uk::hypervisor::QemuConfig config{.binary = UK_TEST_FAKE_QEMU,
                                      .accelerator = accelerator,
                                      .kernel = dir / "vmlinux",
                                      .network = uk::hypervisor::NoNetwork{},
                                      .qmp_socket = dir / "qmp.sock"};
    return uk::hypervisor::run_request(config, dir / "console.log");
}

} // namespace

TEST_CASE("runner: the program's exit status comes back from a guest that runs", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv status("FAKE_QEMU_STATUS", "3");
    Collect console;
    auto outcome = uk::hypervisor::run_vm(fake_run(dir, uk::hypervisor::Accelerator::tcg), console);
    REQUIRE(outcome);
    CHECK(outcome->program_status == 3);
    CHECK_FALSE(outcome->hypervisor_stop);
    CHECK(console.lines.back() == "uk-init: exit status 3");
}

TEST_CASE("runner: a guest KVM stops with an internal error ends the run at once, with QEMU's words",
          "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv kvm("FAKE_QEMU_KVM", "internal-error");
    Collect console;
    auto start = std::chrono::steady_clock::now();
    auto outcome = uk::hypervisor::run_vm(fake_run(dir, uk::hypervisor::Accelerator::kvm), console);
    REQUIRE(outcome);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    REQUIRE(outcome->hypervisor_stop);
    CHECK(outcome->hypervisor_stop->status == "internal-error");
    CHECK_FALSE(outcome->program_status);
    CHECK(uk::test::processes_running_with(dir.path().string()).empty());
    auto error = uk::hypervisor::hypervisor_stop_error(*outcome->hypervisor_stop, uk::hypervisor::Accelerator::kvm,
                                                       outcome->qemu_errors, dir / "console.log");
    CHECK(error.kind == uk::ErrorKind::unavailable);
    CHECK(error.message == "KVM on this host cannot run uk's guest: QEMU stopped it and reported \"KVM internal "
                           "error. Suberror: 1 (emulation failure)\"; run with --accel tcg, and see 'uk doctor'");
}

TEST_CASE("runner: a guest that QEMU holds as panicked ends the run, pointing at the console log",
          "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv tcg("FAKE_QEMU_TCG", "guest-panicked");
    uk::test::ScopedEnv later("FAKE_QEMU_FAIL_AFTER", "0.5");
    Collect console;
    auto outcome = uk::hypervisor::run_vm(fake_run(dir, uk::hypervisor::Accelerator::tcg), console);
    REQUIRE(outcome);
    REQUIRE(outcome->hypervisor_stop);
    CHECK(console.lines.front() == "fake-qemu: the guest runs");
    auto error = uk::hypervisor::hypervisor_stop_error(*outcome->hypervisor_stop, uk::hypervisor::Accelerator::tcg,
                                                       outcome->qemu_errors, dir / "console.log");
    CHECK(error.kind == uk::ErrorKind::guest_failed);
    CHECK(error.message ==
          "the guest kernel panicked and QEMU stopped it; console log: " + (dir / "console.log").string());
}

TEST_CASE("runner: QEMU's reason is its first line, without its name", "[unit][hypervisor]")
{
    using uk::hypervisor::qemu_reason;
    CHECK(qemu_reason("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\nqemu-system-x86_64: ../kvm.c: "
                      "Assertion failed.\n") == "error: failed to set MSR 0x10a to 0x69");
    CHECK(qemu_reason("\nKVM internal error. Suberror: 1\nemulation failure\n") ==
          "KVM internal error. Suberror: 1 (emulation failure)");
    CHECK(qemu_reason("qemu-system-x86_64: -accel kvm: Could not access KVM kernel module: No such file or directory") ==
          "-accel kvm: Could not access KVM kernel module: No such file or directory");
    CHECK(qemu_reason("").empty());
}
