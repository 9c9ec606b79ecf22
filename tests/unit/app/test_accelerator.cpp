// Which accelerator a VM gets: the decision table, apart from how the probe runs.
#include "app/accelerator.hpp"
#include "support/environment.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fstream>

using uk::app::decide_accelerator;
using uk::settings::AcceleratorChoice;

TEST_CASE("accelerator: without /dev/kvm, auto falls back to TCG with a reason and kvm is an error", "[unit][app]")
{
    uk::test::TempDir dir;
    auto missing = dir / "kvm";
    auto cpuinfo = uk::test::cpuinfo_with(dir.path(), "hypervisor");
    auto no_probe = [] {
        FAIL("no probe without /dev/kvm");
        return uk::vm::KvmProbe{};
    };
    // An x86-64 host's words (an arm64 one's: tests/unit/vm/test_kvm.cpp).
    auto automatic = decide_accelerator(AcceleratorChoice::automatic, no_probe, missing, cpuinfo, uk::Arch::amd64);
    REQUIRE(automatic);
    CHECK(automatic->accelerator == uk::vm::Accelerator::tcg);
    CHECK(automatic->warning == "no KVM (" + missing.string() +
                                    " does not exist: this machine is itself a VM, and its CPU offers no hardware "
                                    "virtualisation (no vmx or svm flag)): running under TCG emulation, 10-50x slower; "
                                    "'uk doctor' says how to fix it");
    auto forced = decide_accelerator(AcceleratorChoice::kvm, no_probe, missing, cpuinfo, uk::Arch::amd64);
    REQUIRE_FALSE(forced);
    CHECK(forced.error().kind == uk::ErrorKind::unavailable);
    CHECK(forced.error().message ==
          "--accel kvm: " + missing.string() +
              " does not exist: this machine is itself a VM, and its CPU offers no hardware virtualisation (no vmx or "
              "svm flag); to fix: turn on nested virtualisation for this VM where it is hosted, or run uk on a machine "
              "with KVM");
    auto tcg = decide_accelerator(AcceleratorChoice::tcg, no_probe, missing, cpuinfo);
    REQUIRE(tcg);
    CHECK(tcg->warning.empty());
}

TEST_CASE("accelerator: the decision table, with /dev/kvm opening and the probe passing or failing", "[unit][app]")
{
    uk::test::TempDir dir;
    auto kvm = dir / "kvm"; // a plain file opens read-write, as a /dev/kvm does
    std::ofstream(kvm) << "";
    auto cpuinfo = dir / "cpuinfo";
    std::ofstream(cpuinfo) << "flags\t\t: fpu vmx\n";
    int probes = 0;
    auto booting = [&] { probes++; return uk::vm::KvmProbe{.boots = true}; };
    auto failing = [&] {
        probes++;
        return uk::vm::KvmProbe{.boots = false, .reason = "QEMU reported \"error: failed to set MSR 0x10a to 0x69\""};
    };

    auto kvm_works = decide_accelerator(AcceleratorChoice::automatic, booting, kvm, cpuinfo);
    REQUIRE(kvm_works);
    CHECK(kvm_works->accelerator == uk::vm::Accelerator::kvm);
    CHECK(kvm_works->warning.empty());

    auto falls_back = decide_accelerator(AcceleratorChoice::automatic, failing, kvm, cpuinfo);
    REQUIRE(falls_back);
    CHECK(falls_back->accelerator == uk::vm::Accelerator::tcg);
    CHECK(falls_back->warning == "KVM on this host cannot run uk's guest: QEMU reported \"error: failed to set MSR "
                                 "0x10a to 0x69\"; using TCG emulation, 10-50x slower ('uk doctor' says more)");

    auto refused = decide_accelerator(AcceleratorChoice::kvm, failing, kvm, cpuinfo);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == uk::ErrorKind::unavailable);
    CHECK(refused.error().message == "--accel kvm: KVM on this host cannot run uk's guest: QEMU reported \"error: "
                                     "failed to set MSR 0x10a to 0x69\"; use --accel tcg or auto, and see 'uk doctor'");
    CHECK(decide_accelerator(AcceleratorChoice::kvm, booting, kvm, cpuinfo)->accelerator == uk::vm::Accelerator::kvm);
    CHECK(probes == 4);

    // No probe when the user asks for TCG or when /dev/kvm does not open.
    CHECK(decide_accelerator(AcceleratorChoice::tcg, failing, kvm, cpuinfo)->accelerator == uk::vm::Accelerator::tcg);
    CHECK(decide_accelerator(AcceleratorChoice::automatic, booting, dir / "missing", cpuinfo)->accelerator ==
          uk::vm::Accelerator::tcg);
    CHECK(probes == 4);
}

