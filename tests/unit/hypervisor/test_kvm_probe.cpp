// The KVM probe against support/fake-qemu, which behaves like QEMU on hosts whose KVM
// cannot run uk's guest (docs/decisions.md, "Accelerator"), and the decision it feeds.
#include "hypervisor/host.hpp"
#include "hypervisor/kvm_probe.hpp"
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
    CHECK(probe.took < 5s);
}

TEST_CASE("kvm probe: an internal error that leaves QEMU paused fails at once, and QEMU is ended", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    uk::test::ScopedEnv kvm("FAKE_QEMU_KVM", "internal-error");
    uk::test::ScopedEnv log("FAKE_QEMU_LOG", (dir / "argv.log").string());
    auto probe = probe_kvm(fake_request(dir));
    CHECK_FALSE(probe.boots);
    CHECK(probe.reason == "QEMU stopped the guest and reported \"KVM internal error. Suberror: 1 (emulation failure)\"");
    CHECK(probe.took < 3s); // noticed on QEMU's STOP event, not at the timeout
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

TEST_CASE("kvm probe: the answer is kept per host boot, QEMU, kernel, /dev/kvm and machine", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    auto boot_id = dir / "boot_id";
    std::ofstream(boot_id) << "1111\n";
    std::ofstream(dir / "kvm") << "";
    auto request = fake_request(dir);
    auto cache = dir / "cache" / "kvm-probe.json";
    auto key = kvm_probe_key(request, dir / "kvm", boot_id);
    CHECK_FALSE(cached_kvm_probe(cache, key));

    keep_kvm_probe(cache, key, {.boots = false, .reason = "QEMU reported \"x\"", .took = 120ms});
    auto kept = cached_kvm_probe(cache, key);
    REQUIRE(kept);
    CHECK_FALSE(kept->boots);
    CHECK(kept->reason == "QEMU reported \"x\"");
    CHECK(kept->took == 120ms);
    CHECK(kept->cached);

    auto other_kernel = request;
    other_kernel.guest.kernel_sha256 = "def";
    CHECK_FALSE(cached_kvm_probe(cache, kvm_probe_key(other_kernel, dir / "kvm", boot_id)));
    auto other_machine = request;
    other_machine.machine = Machine::q35;
    CHECK(kvm_probe_key(other_machine, dir / "kvm", boot_id) != key);
    CHECK(kvm_probe_key(request, dir / "other-kvm", boot_id) != key);

    // After a reboot the old answers go.
    std::ofstream(boot_id) << "2222\n";
    auto rebooted = kvm_probe_key(request, dir / "kvm", boot_id);
    CHECK_FALSE(cached_kvm_probe(cache, rebooted));
    keep_kvm_probe(cache, rebooted, {.boots = true});
    CHECK(cached_kvm_probe(cache, rebooted));
    CHECK_FALSE(cached_kvm_probe(cache, key));
}

TEST_CASE("accelerator: the decision table, with /dev/kvm opening and the probe passing or failing", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    auto kvm = dir / "kvm"; // a plain file opens read-write, as a /dev/kvm does
    std::ofstream(kvm) << "";
    auto cpuinfo = dir / "cpuinfo";
    std::ofstream(cpuinfo) << "flags\t\t: fpu vmx\n";
    int probes = 0;
    auto booting = [&] { probes++; return KvmProbe{.boots = true}; };
    auto failing = [&] {
        probes++;
        return KvmProbe{.boots = false, .reason = "QEMU reported \"error: failed to set MSR 0x10a to 0x69\""};
    };

    auto kvm_works = choose_accelerator(AcceleratorChoice::automatic, booting, kvm, cpuinfo);
    REQUIRE(kvm_works);
    CHECK(kvm_works->accelerator == Accelerator::kvm);
    CHECK(kvm_works->warning.empty());

    auto falls_back = choose_accelerator(AcceleratorChoice::automatic, failing, kvm, cpuinfo);
    REQUIRE(falls_back);
    CHECK(falls_back->accelerator == Accelerator::tcg);
    CHECK(falls_back->warning == "KVM on this host cannot run uk's guest: QEMU reported \"error: failed to set MSR "
                                 "0x10a to 0x69\"; using TCG emulation, 10-50x slower ('uk doctor' says more)");

    auto refused = choose_accelerator(AcceleratorChoice::kvm, failing, kvm, cpuinfo);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == uk::ErrorKind::unavailable);
    CHECK(refused.error().message == "--accel kvm: KVM on this host cannot run uk's guest: QEMU reported \"error: "
                                     "failed to set MSR 0x10a to 0x69\"; use --accel tcg or auto, and see 'uk doctor'");
    CHECK(choose_accelerator(AcceleratorChoice::kvm, booting, kvm, cpuinfo)->accelerator == Accelerator::kvm);
    CHECK(probes == 4);

    // No probe when the user asks for TCG or when /dev/kvm does not open.
    CHECK(choose_accelerator(AcceleratorChoice::tcg, failing, kvm, cpuinfo)->accelerator == Accelerator::tcg);
    CHECK(choose_accelerator(AcceleratorChoice::automatic, booting, dir / "missing", cpuinfo)->accelerator ==
          Accelerator::tcg);
    CHECK(probes == 4);
}

TEST_CASE("accelerator: the fix for a KVM that opens but cannot boot says PVM when the host is one", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    std::filesystem::create_directories(dir / "module" / "kvm");
    CHECK(kvm_probe_fix(dir / "module").starts_with("turn on nested virtualisation"));
    std::filesystem::create_directories(dir / "module" / "kvm_pvm");
    CHECK(kvm_probe_fix(dir / "module").starts_with("this host offers KVM only to PVM guests"));
}
