#include "hypervisor/host.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

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

TEST_CASE("host: without /dev/kvm, auto falls back to TCG with a reason and kvm is an error", "[unit][hypervisor]")
{
    uk::test::TempDir dir;
    auto missing = dir / "kvm";
    auto automatic = choose_accelerator(AcceleratorChoice::automatic, missing);
    REQUIRE(automatic);
    CHECK(automatic->accelerator == Accelerator::tcg);
    CHECK(automatic->warning == "KVM is not available here (" + missing.string() +
                                    " does not exist: no hardware virtualisation, or the kvm module is not loaded); "
                                    "running under TCG emulation, 10-50x slower");
    auto forced = choose_accelerator(AcceleratorChoice::kvm, missing);
    REQUIRE_FALSE(forced);
    CHECK(forced.error().kind == uk::ErrorKind::unavailable);
    CHECK(forced.error().message.starts_with("--accel kvm: KVM is not available here"));
    auto tcg = choose_accelerator(AcceleratorChoice::tcg, missing);
    REQUIRE(tcg);
    CHECK(tcg->warning.empty());
    CHECK_FALSE(parse_accelerator("hvf"));
}

TEST_CASE("host: a missing QEMU is an error that says how to install it", "[unit][hypervisor]")
{
    uk::test::TempDir cache;
    auto missing = find_qemu(std::string("/nonexistent/qemu-system-x86_64"), cache.path());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == "UK_QEMU is set to /nonexistent/qemu-system-x86_64, which is not an executable file");
}
