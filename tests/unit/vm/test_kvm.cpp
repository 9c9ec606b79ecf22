// KVM on this host: why /dev/kvm does not open, the probe's kept answers, and the fix
// for a KVM that opens but cannot boot uk's guest.
#include "support/environment.hpp"
#include "support/temp_dir.hpp"
#include "vm/kvm.hpp"

#include <catch2/catch.hpp>
#include <fstream>

using namespace uk::vm;
using namespace std::chrono_literals;

TEST_CASE("kvm: why KVM is not usable is told from the error and the CPU's flags", "[unit][vm]")
{
    uk::test::TempDir dir;
    auto missing = dir / "kvm";
    using uk::Arch;
    auto module = uk::vm::check_kvm(missing, uk::test::cpuinfo_with(dir.path(), "vmx"), Arch::amd64);
    CHECK_FALSE(module.usable);
    CHECK(module.reason == missing.string() + " does not exist, although the CPU has VT-x: the kvm module is not loaded");
    CHECK(module.fix == "sudo modprobe kvm_intel");
    CHECK(uk::vm::check_kvm(missing, uk::test::cpuinfo_with(dir.path(), "svm"), Arch::amd64).fix ==
          "sudo modprobe kvm_amd");
    auto bare = uk::vm::check_kvm(missing, uk::test::cpuinfo_with(dir.path(), "sse4_2"), Arch::amd64);
    CHECK(bare.reason == missing.string() + " does not exist: the CPU offers no hardware virtualisation (no vmx or svm flag)");
    CHECK(bare.fix == "turn on VT-x/AMD-V (SVM) in the firmware settings");
    auto unknown = uk::vm::check_kvm(missing, dir / "no-cpuinfo", Arch::amd64);
    CHECK(unknown.reason == missing.string() + " does not exist: no hardware virtualisation, or the kvm module is not loaded");
    // An arm64 host: its cpuinfo has "Features", not "flags", and names nothing for KVM.
    auto arm = uk::vm::check_kvm(missing, uk::test::cpuinfo_with(dir.path(), "sse4_2"), Arch::arm64);
    CHECK(arm.reason == missing.string() + " does not exist: this arm64 kernel offers no KVM (it was not started at "
                                           "EL2, as in most cloud VMs, or its kvm module is not loaded)");
    CHECK(arm.fix.find("bare-metal arm64 machine") != std::string::npos);

    // A /dev/kvm the user may not open: as root every file opens, so the check runs as an
    // ordinary user (nobody) there.
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
    auto locked = dir / "locked";
    std::ofstream(locked) << "";
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    auto cpu = uk::test::cpuinfo_with(dir.path(), "vmx");
    auto denied = uk::test::as_unprivileged_user([&] {
        auto access = uk::vm::check_kvm(locked, cpu, Arch::amd64);
        return (access.usable ? "usable" : access.reason) + "|" + access.fix;
    });
    CHECK(denied == "you may not open " + locked.string() +
                        " (permission denied)|add yourself to its group (sudo usermod -aG kvm $USER), then log in again");
}

TEST_CASE("kvm: the probe's answer is kept per host boot, QEMU, kernel, /dev/kvm and machine", "[unit][vm]")
{
    uk::test::TempDir dir;
    auto boot_id = dir / "boot_id";
    std::ofstream(boot_id) << "1111\n";
    std::ofstream(dir / "kvm") << "";
    auto cache = dir / "cache" / "kvm-probe.json";
    auto key = kvm_probe_key("qemu 7.2", "abc", false, dir / "kvm", boot_id);
    CHECK_FALSE(cached_kvm_probe(cache, key));

    keep_kvm_probe(cache, key, {.boots = false, .reason = "QEMU reported \"x\"", .took = 120ms});
    auto kept = cached_kvm_probe(cache, key);
    REQUIRE(kept);
    CHECK_FALSE(kept->boots);
    CHECK(kept->reason == "QEMU reported \"x\"");
    CHECK(kept->took == 120ms);
    CHECK(kept->cached);

    CHECK_FALSE(cached_kvm_probe(cache, kvm_probe_key("qemu 7.2", "def", false, dir / "kvm", boot_id)));
    CHECK(kvm_probe_key("qemu 7.2", "abc", true, dir / "kvm", boot_id) != key);
    CHECK(kvm_probe_key("qemu 8.0", "abc", false, dir / "kvm", boot_id) != key);
    CHECK(kvm_probe_key("qemu 7.2", "abc", false, dir / "other-kvm", boot_id) != key);

    // After a reboot the old answers go.
    std::ofstream(boot_id) << "2222\n";
    auto rebooted = kvm_probe_key("qemu 7.2", "abc", false, dir / "kvm", boot_id);
    CHECK_FALSE(cached_kvm_probe(cache, rebooted));
    keep_kvm_probe(cache, rebooted, {.boots = true});
    CHECK(cached_kvm_probe(cache, rebooted));
    CHECK_FALSE(cached_kvm_probe(cache, key));
}

TEST_CASE("kvm: the fix for a KVM that opens but cannot boot says PVM when the host is one", "[unit][vm]")
{
    uk::test::TempDir dir;
    std::filesystem::create_directories(dir / "module" / "kvm");
    CHECK(kvm_probe_fix(dir / "module").starts_with("turn on nested virtualisation"));
    std::filesystem::create_directories(dir / "module" / "kvm_pvm");
    CHECK(kvm_probe_fix(dir / "module").starts_with("this host offers KVM only to PVM guests"));
}
