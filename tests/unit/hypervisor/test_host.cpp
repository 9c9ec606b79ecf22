#include "hypervisor/host.hpp"
#include "support/environment.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fstream>

using namespace uk::hypervisor;

TEST_CASE("host: QEMU's version line is understood", "[unit][hypervisor]")
{
    auto debian = parse_qemu_version("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright...");
    REQUIRE(debian);
    CHECK(debian->major == 7);
    CHECK(debian->minor == 2);
    CHECK(debian->version == "7.2.22");
    CHECK(parse_qemu_version("QEMU emulator version 8.1.0\n")->minor == 1);
    CHECK_FALSE(parse_qemu_version("bash: qemu: command not found"));
}

namespace {

// A /proc/cpuinfo with these flags on its first CPU.
std::filesystem::path cpuinfo_with(const uk::test::TempDir& dir, const std::string& flags)
{
    auto file = dir / ("cpuinfo-" + std::to_string(std::hash<std::string>{}(flags)));
    std::ofstream(file) << "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu " << flags << " sse2\n\n";
    return file;
}

} // namespace

TEST_CASE("host: without /dev/kvm, auto falls back to TCG with a reason and kvm is an error", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    auto missing = dir / "kvm";
    auto cpuinfo = cpuinfo_with(dir, "hypervisor");
    auto no_probe = [] {
        FAIL("no probe without /dev/kvm");
        return KvmProbe{};
    };
    auto automatic = choose_accelerator(AcceleratorChoice::automatic, no_probe, missing, cpuinfo);
    REQUIRE(automatic);
    CHECK(automatic->accelerator == Accelerator::tcg);
    CHECK(automatic->warning == "no KVM (" + missing.string() +
                                    " does not exist: this machine is itself a VM, and its CPU offers no hardware "
                                    "virtualisation (no vmx or svm flag)): running under TCG emulation, 10-50x slower; "
                                    "'uk doctor' says how to fix it");
    auto forced = choose_accelerator(AcceleratorChoice::kvm, no_probe, missing, cpuinfo);
    REQUIRE_FALSE(forced);
    CHECK(forced.error().kind == uk::ErrorKind::unavailable);
    CHECK(forced.error().message ==
          "--accel kvm: " + missing.string() +
              " does not exist: this machine is itself a VM, and its CPU offers no hardware virtualisation (no vmx or "
              "svm flag); to fix: turn on nested virtualisation for this VM where it is hosted, or run uk on a machine "
              "with KVM");
    auto tcg = choose_accelerator(AcceleratorChoice::tcg, no_probe, missing, cpuinfo);
    REQUIRE(tcg);
    CHECK(tcg->warning.empty());
    CHECK_FALSE(parse_accelerator("hvf"));
}

TEST_CASE("host: why KVM is not usable is told from the error and the CPU's flags", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    auto missing = dir / "kvm";
    auto module = check_kvm(missing, cpuinfo_with(dir, "vmx"));
    CHECK_FALSE(module.usable);
    CHECK(module.reason == missing.string() + " does not exist, although the CPU has VT-x: the kvm module is not loaded");
    CHECK(module.fix == "sudo modprobe kvm_intel");
    CHECK(check_kvm(missing, cpuinfo_with(dir, "svm")).fix == "sudo modprobe kvm_amd");
    auto bare = check_kvm(missing, cpuinfo_with(dir, "sse4_2"));
    CHECK(bare.reason == missing.string() + " does not exist: the CPU offers no hardware virtualisation (no vmx or svm flag)");
    CHECK(bare.fix == "turn on VT-x/AMD-V (SVM) in the firmware settings");
    auto unknown = check_kvm(missing, dir / "no-cpuinfo");
    CHECK(unknown.reason == missing.string() + " does not exist: no hardware virtualisation, or the kvm module is not loaded");

    // A /dev/kvm the user may not open: as root every file opens, so the check runs as an
    // ordinary user (nobody) there.
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
    auto locked = dir / "locked";
    std::ofstream(locked) << "";
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    auto cpu = cpuinfo_with(dir, "vmx");
    auto denied = uk::test::as_unprivileged_user([&] {
        auto access = check_kvm(locked, cpu);
        return (access.usable ? "usable" : access.reason) + "|" + access.fix;
    });
    CHECK(denied == "you may not open " + locked.string() +
                        " (permission denied)|add yourself to its group (sudo usermod -aG kvm $USER), then log in again");
}

TEST_CASE("host: OVMF is found in its folder, 4 MiB build first, or named as missing", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    auto none = find_uefi_firmware(dir.path());
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "OVMF, QEMU's UEFI firmware, is not in " + dir.path().string() + ": apt-get install ovmf");
    for (const char* name : {"OVMF_CODE.fd", "OVMF_VARS.fd", "OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"})
        std::ofstream(dir / name) << "x";
    auto found = find_uefi_firmware(dir.path());
    REQUIRE(found);
    CHECK(found->code == dir / "OVMF_CODE_4M.fd");
    CHECK(found->variables == dir / "OVMF_VARS_4M.fd");
}

TEST_CASE("host: a missing QEMU is an error that says how to install it", "[unit][hypervisor]")
{
    uk::test::TempDir cache;
    auto missing = find_qemu(std::string("/nonexistent/qemu-system-x86_64"), cache.path());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == "UK_QEMU is set to /nonexistent/qemu-system-x86_64, which is not an executable file");
}
