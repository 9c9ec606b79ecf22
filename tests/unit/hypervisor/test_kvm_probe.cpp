// The KVM probe against support/fake-qemu, which behaves like QEMU on hosts whose KVM
// cannot run uk's guest (docs/decisions.md, "Accelerator"), and the decision it feeds.
#include "hypervisor/kvm_probe.hpp"
#include "hypervisor/qemu_backend.hpp"
#include "support/environment.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <fstream>

using namespace uk::hypervisor;
using namespace std::chrono_literals;

namespace {

KvmProbeRequest fake_request(const uk::test::TempDir& dir)
{
    return {.qemu = UK_TEST_FAKE_QEMU,
            .machine = Machine::microvm,
            .guest = {.kernel = dir / "vmlinux", .kernel_sha256 = "abc", .root = dir / "root.squashfs"}};
}

} // namespace

TEST_CASE("kvm probe: a QEMU that boots the guest to user space passes", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv kvm("FAKE_QEMU_KVM", "boots");
    auto probe = probe_kvm(fake_request(dir));
    CHECK(probe.boots);
    CHECK(probe.reason.empty());
    CHECK_FALSE(probe.cached);
}

TEST_CASE("kvm probe: QEMU exiting at start (PVM with -cpu host) fails with QEMU's own line", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv kvm("FAKE_QEMU_KVM", "exit-at-start");
    auto probe = probe_kvm(fake_request(dir));
    CHECK_FALSE(probe.boots);
    CHECK(probe.reason == "QEMU reported \"error: failed to set MSR 0x10a to 0x69\"");
}

TEST_CASE("kvm probe: an internal error that leaves QEMU paused fails at once, and QEMU is ended", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv kvm("FAKE_QEMU_KVM", "internal-error");
    uk::test::ScopedEnv log("FAKE_QEMU_LOG", (dir / "argv.log").string());
    auto probe = probe_kvm(fake_request(dir));
    CHECK_FALSE(probe.boots);
    CHECK(probe.reason == "QEMU stopped the guest and reported \"KVM internal error. Suberror: 1 (emulation failure)\"");
    CHECK(uk::test::processes_running_with(dir.path().string()).empty());
}

TEST_CASE("kvm probe: a guest QEMU stops as panicked fails with the run state", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv kvm("FAKE_QEMU_KVM", "guest-panicked");
    auto probe = probe_kvm(fake_request(dir));
    CHECK_FALSE(probe.boots);
    CHECK(probe.reason == "QEMU stopped the guest (guest-panicked)");
}

TEST_CASE("kvm probe: a guest that never reaches user space fails at the timeout", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv kvm("FAKE_QEMU_KVM", "hang");
    auto request = fake_request(dir);
    request.timeout = 1s;
    auto probe = probe_kvm(request);
    CHECK_FALSE(probe.boots);
    CHECK(probe.reason == "the guest did not reach user space within 1 s under KVM");
}

TEST_CASE("kvm probe: the probe boots uk's kernel under KVM with the run's machine and asks for the probe",
          "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv log("FAKE_QEMU_LOG", (dir / "argv.log").string());
    auto request = fake_request(dir);
    request.machine = Machine::q35;
    REQUIRE(probe_kvm(request).boots);
    auto argv = uk::test::read_text(dir / "argv.log");
    CHECK(argv.find(R"("-machine", "q35")") != std::string::npos);
    CHECK(argv.find(R"("-accel", "kvm")") != std::string::npos);
    CHECK(argv.find(R"("-cpu", "host")") != std::string::npos);
    CHECK(argv.find(" uk-probe\"") != std::string::npos);
    CHECK(argv.find("root=/dev/vda") != std::string::npos);
}


TEST_CASE("kvm probe: an arm64 host probes with its own guest, the arm64 QEMU and the virt machine",
          "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv log("FAKE_QEMU_LOG", (dir / "argv.log").string());
    uk::vm::ProbeGuest guest{.arch = uk::Arch::arm64, .kernel = dir / "Image", .kernel_sha256 = "abc",
                             .root = dir / "root.squashfs"};
    QemuBackend without_arm64_qemu({.path = "/nonexistent/qemu-system-x86_64"});
    auto missing = without_arm64_qemu.probe_kvm(guest, false);
    CHECK_FALSE(missing.boots);
    CHECK(missing.reason == "no arm64 QEMU");

    QemuBackend backend({.path = "/nonexistent/qemu-system-x86_64"}, QemuBinary{.path = UK_TEST_FAKE_QEMU});
    REQUIRE(backend.probe_kvm(guest, true).boots);
    auto argv = uk::test::read_text(dir / "argv.log");
    CHECK(argv.find(R"("-machine", "virt,gic-version=host")") != std::string::npos);
    CHECK(argv.find(R"("-accel", "kvm")") != std::string::npos);
    CHECK(argv.find(R"("-cpu", "host")") != std::string::npos);
    CHECK(argv.find("console=ttyAMA0") != std::string::npos);
    CHECK(argv.find(" uk-probe\"") != std::string::npos);
}
