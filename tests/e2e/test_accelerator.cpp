// Guests that QEMU stops by itself, and the accelerator uk picks. support/fake-qemu stands
// in for QEMU where a real one cannot show a failure on this host (docs/decisions.md,
// "Accelerator"); the last tests use the real QEMU and the host's own KVM, whatever it is.
#include "e2e/uk_cli.hpp"
#include "support/ports.hpp"
#include "support/qmp.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

using namespace std::chrono_literals;
using uk::test::UkCli;

namespace {

// uk with the fake QEMU, behaving this way under TCG.
void use_fake_qemu(UkCli& uk, const std::string& behaviour, std::vector<std::string> more = {})
{
    std::vector<std::string> environment{"UK_QEMU=" UK_TEST_FAKE_QEMU, "FAKE_QEMU_TCG=" + behaviour};
    environment.insert(environment.end(), more.begin(), more.end());
    uk.set_environment(environment);
}

std::string console_log(const UkCli& uk, const std::string& name)
{
    return (uk.home() / "instances" / name / "console.log").string();
}

nlohmann::json instance_json(UkCli& uk, const std::string& name)
{
    auto inspected = uk.run({"instance", "inspect", name});
    REQUIRE(inspected.status == 0);
    return nlohmann::json::parse(inspected.out);
}

} // namespace

TEST_CASE("a guest QEMU stops with an internal error ends an attached run at once, in one line", "[e2e]")
{
    UkCli uk;
    use_fake_qemu(uk, "internal-error");
    auto result = uk.run({"run", UK_TEST_PROBE, "--accel", "tcg", "--name", "box"}, 60s);
    CHECK(result.status == 70);
    CHECK(result.error_lines() ==
          std::vector<std::string>{"uk: error: QEMU stopped the guest with an internal error and reported \"KVM "
                                   "internal error. Suberror: 1 (emulation failure)\"; console log: " +
                                   console_log(uk, "box")});
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a guest QEMU holds as panicked ends an attached run, pointing at the console log", "[e2e]")
{
    UkCli uk;
    use_fake_qemu(uk, "guest-panicked", {"FAKE_QEMU_FAIL_AFTER=0.5"});
    auto result = uk.run({"run", UK_TEST_PROBE, "--accel", "tcg", "--name", "box"}, 60s);
    CHECK(result.status == 70);
    CHECK(result.error_lines() == std::vector<std::string>{"uk: error: the guest kernel panicked and QEMU stopped it; "
                                                           "console log: " + console_log(uk, "box")});
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a QEMU that exits at start is one line with QEMU's own words", "[e2e]")
{
    UkCli uk;
    use_fake_qemu(uk, "exit-at-start");
    auto result = uk.run({"run", UK_TEST_PROBE, "--accel", "tcg"}, 60s);
    CHECK(result.status == 69);
    CHECK(result.error_lines() ==
          std::vector<std::string>{"uk: error: QEMU failed: error: failed to set MSR 0x10a to 0x69"});
    CHECK(uk.instances().empty());
}

TEST_CASE("with a QEMU that boots, the program's exit status comes back", "[e2e]")
{
    UkCli uk;
    use_fake_qemu(uk, "boots", {"FAKE_QEMU_STATUS=5"});
    auto result = uk.run({"run", UK_TEST_PROBE, "--accel", "tcg"}, 60s);
    CHECK(result.status == 5);
    CHECK(result.err.empty());
    CHECK(uk.instances().empty());
}

TEST_CASE("uk run -d returns an error, not a wait, when QEMU stops the guest before its port answers", "[e2e]")
{
    UkCli uk;
    use_fake_qemu(uk, "internal-error");
    auto port = std::to_string(uk::test::free_tcp_port());
    auto result = uk.run({"run", "-d", UK_TEST_PROBE, "--accel", "tcg", "--name", "box", "-p", port + ":8080"}, 60s);
    CHECK(result.status == 70);
    CHECK(result.error_lines() ==
          std::vector<std::string>{"uk: error: instance box failed: QEMU stopped the guest with an internal error "
                                   "and reported \"KVM internal error. Suberror: 1 (emulation failure)\"; console "
                                   "log: " + console_log(uk, "box")});
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a detached instance QEMU stops later shows as failed with its reason, and no QEMU stays paused", "[e2e]")
{
    UkCli uk;
    use_fake_qemu(uk, "internal-error", {"FAKE_QEMU_FAIL_AFTER=1"});
    auto started = uk.run({"run", "-d", UK_TEST_PROBE, "--accel", "tcg", "--name", "box"}, 60s);
    INFO(started.err);
    REQUIRE(started.status == 0);
    CHECK(started.out == "box\n");

    auto json = instance_json(uk, "box");
    for (auto until = std::chrono::steady_clock::now() + 30s;
         json["status"] == "running" && std::chrono::steady_clock::now() < until; json = instance_json(uk, "box"))
        std::this_thread::sleep_for(100ms);
    CHECK(json["status"] == "failed");
    CHECK(json["failure"] == "QEMU stopped the guest with an internal error and reported \"KVM internal error. "
                             "Suberror: 1 (emulation failure)\"; console log: " + console_log(uk, "box"));
    CHECK(uk.running_qemus().empty());
    auto listed = uk.run({"ps"});
    CHECK(listed.out.find("box   failed") != std::string::npos);
    CHECK(uk.run({"instance", "rm", "box"}).status == 0);
    CHECK(uk.instances().empty());
}

TEST_CASE("uk run --accel kvm either runs under a KVM that boots uk's guest or fails at once in one line", "[e2e]")
{
    UkCli uk;
    auto doctor = uk.run({"doctor", "--json"});
    REQUIRE(doctor.status == 0);
    bool kvm_boots = false;
    auto report = nlohmann::json::parse(doctor.out);
    for (const auto& finding : report["findings"])
        if (finding["topic"] == "accelerator")
            kvm_boots = finding["details"]["accelerator"] == "kvm";

    auto result = uk.run({"run", "--accel", "kvm", UK_TEST_PROBE, "-a", "exit", "-a", "4"}, 120s);
    INFO(result.err);
    if (kvm_boots) {
        CHECK(result.status == 4);
    } else {
        CHECK(result.status == 69);
        REQUIRE(result.error_lines().size() == 1);
        CHECK(result.error_lines()[0].starts_with("uk: error: --accel kvm: "));
    }
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a real QEMU paused behind uk's back ends the attached run at once (QMP watch)", "[e2e]")
{
    UkCli uk;
    auto run = uk.start({"run", UK_TEST_PROBE, "--accel", "tcg", "--name", "box", "-a", "wait-term"});
    auto until = std::chrono::steady_clock::now() + 120s;
    while (uk.started_output().find("probe: waiting") == std::string::npos && run.running() &&
           std::chrono::steady_clock::now() < until) {
        run.poll();
        std::this_thread::sleep_for(50ms);
    }
    REQUIRE(uk.started_output().find("probe: waiting") != std::string::npos);
    CHECK(uk::test::qmp_command(uk.home() / "instances/box/qmp.sock", "stop") == R"({"return": {}})" "\r");
    auto status = run.wait_for(10s);
    REQUIRE(status);
    CHECK(*status == 70);
    CHECK(uk.started_errors() == "uk: error: the VM was paused by a QMP \"stop\" that uk did not send, so uk ended it\n");
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a real detached QEMU paused behind uk's back is ended by its monitor and shows as failed", "[e2e]")
{
    UkCli uk;
    auto started = uk.run({"run", "-d", UK_TEST_PROBE, "--accel", "tcg", "--name", "box", "-a", "wait-term"});
    INFO(started.err);
    REQUIRE(started.status == 0);
    CHECK(uk::test::qmp_command(uk.home() / "instances/box/qmp.sock", "stop") == R"({"return": {}})" "\r");
    auto json = instance_json(uk, "box");
    for (auto until = std::chrono::steady_clock::now() + 10s;
         json["status"] == "running" && std::chrono::steady_clock::now() < until; json = instance_json(uk, "box"))
        std::this_thread::sleep_for(100ms);
    CHECK(json["status"] == "failed");
    CHECK(json["failure"] == "the VM was paused by a QMP \"stop\" that uk did not send, so uk ended it");
    CHECK(uk.running_qemus().empty());
}
