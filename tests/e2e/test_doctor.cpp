// uk doctor: what uk will use here, each problem with its fix, and the same as JSON.
#include "e2e/uk_cli.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

using uk::test::UkCli;

namespace {

bool kvm_opens()
{
    int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    ::close(fd);
    return true;
}

const nlohmann::json& finding(const nlohmann::json& report, const std::string& topic)
{
    for (const auto& f : report["findings"])
        if (f["topic"] == topic)
            return f;
    FAIL("no finding about " << topic);
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("uk doctor says which accelerator uk will use and why, and its --json parses", "[e2e]")
{
    UkCli uk;
    auto text = uk.run({"doctor"});
    INFO(text.out << text.err);
    REQUIRE(text.status == 0);
    CHECK(text.err.empty());
    CHECK(text.out.starts_with("uk "));

    auto json = uk.run({"doctor", "--json"});
    REQUIRE(json.status == 0);
    auto report = nlohmann::json::parse(json.out); // throws, and fails the test, when it does not parse
    CHECK(report["ok"] == true);
    const auto& accelerator = finding(report, "accelerator");
    auto line = (accelerator["status"] == "ok" ? "ok       " : "warning  ") + std::string("accelerator  ") +
                accelerator["summary"].get<std::string>() +
                (accelerator["fix"] == "" ? "" : "; to fix: " + accelerator["fix"].get<std::string>()) + "\n";
    CHECK(text.out.find(line) != std::string::npos);
    if (kvm_opens()) {
        // Only a boot says whether this KVM runs uk's guest (a PVM host's does not).
        const auto& probe = accelerator["details"]["probe"];
        REQUIRE(probe.is_object());
        CHECK(accelerator["status"] == (probe["boots"] == true ? "ok" : "warning"));
        CHECK(accelerator["details"]["accelerator"] == (probe["boots"] == true ? "kvm" : "tcg"));
        if (probe["boots"] == false) {
            CHECK(accelerator["details"]["reason"] == probe["reason"]);
            CHECK_FALSE(accelerator["fix"].get<std::string>().empty());
        }
    } else {
        // No /dev/kvm: TCG, the reason, and how to fix it.
        CHECK(accelerator["status"] == "warning");
        CHECK(accelerator["details"]["accelerator"] == "tcg");
        CHECK_FALSE(accelerator["details"]["reason"].get<std::string>().empty());
        CHECK_FALSE(accelerator["fix"].get<std::string>().empty());
        CHECK(accelerator["summary"] == "TCG emulation, 10-50x slower than KVM: " +
                                            accelerator["details"]["reason"].get<std::string>());
    }
    const auto& qemu = finding(report, "qemu");
    CHECK(qemu["status"] == "ok");
    CHECK(text.out.find("ok       qemu         QEMU " + qemu["details"]["version"].get<std::string>() + " at ") !=
          std::string::npos);
    const auto& arm64 = finding(report, "arm64");
    CHECK(arm64["status"] == "ok");
    CHECK(arm64["details"]["qemu"].get<std::string>().ends_with("qemu-system-aarch64"));
    CHECK(arm64["details"]["aavmf"] == "/usr/share/AAVMF/AAVMF_CODE.fd");
    CHECK(arm64["details"]["accelerator"] == "tcg");
    CHECK(text.out.find("ok       arm64        QEMU ") != std::string::npos);
    const auto& kernel = finding(report, "kernel");
    CHECK(kernel["status"] == "ok");
    CHECK(kernel["details"]["sha256"].get<std::string>().size() == 64);
    CHECK(finding(report, "images")["details"]["path"] == (uk.home() / "images").string());
    CHECK(finding(report, "disk")["details"]["free_bytes"].get<std::uint64_t>() > 0);
    const auto& volumes = finding(report, "volumes");
    CHECK(volumes["status"] == "ok");
    CHECK(volumes["details"]["path"] == (uk.home() / "volumes").string());
    CHECK(volumes["details"]["volumes"] == 0);
    CHECK(volumes["details"]["free_bytes"].get<std::uint64_t>() > 0);
    for (const auto& f : report["findings"]) {
        INFO(f.dump());
        bool is_ok = f["status"] == "ok";
        CHECK(is_ok == f["fix"].get<std::string>().empty()); // every problem says its fix
    }

    // -q: only what is not ok.
    auto quiet = uk.run({"doctor", "-q"});
    CHECK(quiet.status == 0);
    CHECK(quiet.out.find("ok ") == std::string::npos);
    CHECK((quiet.out.find("accelerator") != std::string::npos) == (accelerator["status"] != "ok"));
}

TEST_CASE("uk doctor: no QEMU is an error with its fix, and status 69", "[e2e]")
{
    UkCli uk;
    uk.set_environment({"UK_QEMU=/nonexistent/qemu-system-x86_64"});
    auto text = uk.run({"doctor"});
    CHECK(text.status == 69);
    CHECK(text.out.find("error    qemu         UK_QEMU is set to /nonexistent/qemu-system-x86_64, which is not an "
                        "executable file; to fix: apt-get install qemu-system-x86, or set UK_QEMU to a "
                        "qemu-system-x86_64 of version 6.2 or newer\n") != std::string::npos);
    CHECK(text.err == "uk: error: uk cannot run VMs on this machine until qemu is fixed (see above)\n");
    auto json = uk.run({"doctor", "--json"});
    CHECK(json.status == 69);
    auto report = nlohmann::json::parse(json.out);
    CHECK(report["ok"] == false);
    CHECK(finding(report, "qemu")["status"] == "error");
}

TEST_CASE("uk doctor: a state folder that cannot be made is an error that names it", "[e2e]")
{
    UkCli uk;
    auto file = uk.work() / "not-a-folder";
    uk::test::write_text(file, "");
    uk.set_environment({"UK_HOME=" + file.string()});
    auto text = uk.run({"doctor", "-q"});
    CHECK(text.status == 69);
    CHECK(text.out.find("error    images       " + (file / "images").string() + " cannot be made: " + file.string() +
                        " is not a folder; to fix: move " + file.string() +
                        " away or set UK_HOME to a folder you own\n") != std::string::npos);
    CHECK(text.err == "uk: error: uk cannot run VMs on this machine until images, instances and cache are fixed (see "
                      "above)\n");
}
