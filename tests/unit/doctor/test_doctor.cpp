// uk doctor on an arm64 machine: there the arm64 QEMU is the one uk cannot do without, and
// a missing x86-64 QEMU only stops x86-64 programs. (The x86-64 host's report: tests/e2e.)
#include "doctor/doctor.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

namespace {

const uk::doctor::Finding& finding(const uk::doctor::Report& report, const std::string& topic)
{
    for (const auto& f : report.findings)
        if (f.topic == topic)
            return f;
    FAIL("no finding " << topic);
    throw;
}

uk::doctor::Host host_without(const uk::test::TempDir& dir, const std::string& variable, uk::Arch arch)
{
    auto home = (dir / "home").string();
    return {.environment =
                [=](const std::string& name) -> std::optional<std::string> {
                    if (name == variable)
                        return std::string("/nonexistent/qemu");
                    if (name == "UK_HOME")
                        return home;
                    return std::nullopt;
                },
            .kvm_device = dir / "kvm",
            .arch = arch};
}

} // namespace

TEST_CASE("doctor: on an arm64 host a missing x86-64 QEMU is a warning and a missing arm64 one an error",
          "[unit][doctor]")
{
    using uk::doctor::Severity;
    uk::test::TempDir dir;
    auto no_x86 = uk::doctor::examine(host_without(dir, "UK_QEMU", uk::Arch::arm64));
    CHECK(finding(no_x86, "qemu").severity == Severity::warning);
    CHECK(finding(no_x86, "qemu").summary.starts_with("x86-64 programs cannot run: UK_QEMU is set to /nonexistent/qemu"));
    CHECK(finding(no_x86, "accelerator").summary.find("this arm64 kernel offers no KVM") != std::string::npos);

    auto no_arm64 = uk::doctor::examine(host_without(dir, "UK_QEMU_ARM64", uk::Arch::arm64));
    CHECK(finding(no_arm64, "arm64").severity == Severity::error);
    CHECK(no_arm64.has_errors());
    // On an x86-64 host the same arm64 QEMU missing is a warning.
    auto on_x86 = uk::doctor::examine(host_without(dir, "UK_QEMU_ARM64", uk::Arch::amd64));
    CHECK(finding(on_x86, "arm64").severity == Severity::warning);
}
