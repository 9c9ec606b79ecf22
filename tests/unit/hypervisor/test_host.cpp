#include "hypervisor/host.hpp"
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

TEST_CASE("host: AAVMF, the arm64 guests' UEFI, is found in its folder or named as missing", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    auto none = find_arm64_uefi_firmware(dir.path());
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "AAVMF, QEMU's UEFI firmware for arm64 guests, is not in " + dir.path().string() +
                                      ": apt-get install qemu-efi-aarch64");
    for (const char* name : {"AAVMF_CODE.fd", "AAVMF_VARS.fd"})
        std::ofstream(dir / name) << "x";
    auto found = find_arm64_uefi_firmware(dir.path());
    REQUIRE(found);
    CHECK(found->code == dir / "AAVMF_CODE.fd");
    CHECK(found->variables == dir / "AAVMF_VARS.fd");
}

TEST_CASE("host: a missing qemu-system-aarch64 names UK_QEMU_ARM64 and Debian's package", "[unit][hypervisor]")
{
    uk::test::TempDir cache;
    auto missing = find_qemu(std::string("/nonexistent/qemu-system-aarch64"), cache.path(), uk::Arch::arm64);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message ==
          "UK_QEMU_ARM64 is set to /nonexistent/qemu-system-aarch64, which is not an executable file");
    auto found = find_qemu(std::nullopt, cache.path(), uk::Arch::arm64);
    REQUIRE(found);
    CHECK(found->path.filename() == "qemu-system-aarch64");
    CHECK(std::filesystem::exists(cache / "qemu-version-arm64.json"));
}

TEST_CASE("host: a missing QEMU is an error that says how to install it", "[unit][hypervisor]")
{
    uk::test::TempDir cache;
    auto missing = find_qemu(std::string("/nonexistent/qemu-system-x86_64"), cache.path());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == "UK_QEMU is set to /nonexistent/qemu-system-x86_64, which is not an executable file");
}
