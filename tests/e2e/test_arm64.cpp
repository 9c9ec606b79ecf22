// arm64 programs as a user builds and runs them: the ELF machine picks the guest, which
// QEMU emulates here (TCG; KVM only runs guests of the host's own architecture).
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using uk::test::UkCli;

namespace {

struct Served {
    std::string body;
    int status = -1;
};

// Starts `uk run ARGS -p PORT:8080`, waits for an HTTP 200 on /, then presses Ctrl-C (the
// virt machine's power button, which uk-init reads) and waits for uk to end.
Served serve_then_interrupt(UkCli& uk, std::vector<std::string> args, std::chrono::seconds boot)
{
    auto port = uk::test::free_tcp_port();
    args.insert(args.end(), {"-p", std::to_string(port) + ":8080"});
    auto run = uk.start(args);
    auto [response, why] = uk.wait_for_http_ok(run, port, "/", boot);
    INFO(why);
    REQUIRE(response);
    run.send_signal(SIGINT);
    auto status = run.wait_for(120s);
    INFO(uk.started_output() + uk.started_errors());
    REQUIRE(status);
    return {response->body, *status};
}

} // namespace

TEST_CASE("arm64: a Go server built with GOARCH=arm64 answers HTTP through uk run -p, and stops", "[e2e][arm64]")
{
    UkCli uk;
    auto built = uk.run({"build", UK_TEST_GO_SERVER_ARM64, "-n", "web-arm64"});
    INFO(built.err);
    REQUIRE(built.status == 0);
    auto inspected = uk.run({"image", "inspect", "web-arm64"});
    CHECK(inspected.out.find("arch       arm64") != std::string::npos);

    // Ctrl-C presses the virt machine's power button (a GPIO key uk-init reads): the
    // server gets SIGTERM and exits 0, as on x86.
    auto served = serve_then_interrupt(uk, {"run", "web-arm64", "--mem", "96M"}, 240s);
    CHECK(served.body == "hello from uk\n");
    CHECK(served.status == 0);
    CHECK(uk.started_output().find("go-server: got terminated, shutting down") != std::string::npos);
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("arm64: the program's exit status comes back as uk run's", "[e2e][arm64]")
{
    UkCli uk;
    auto result = uk.run({"run", UK_TEST_PROBE_ARM64, "-a", "exit", "-a", "7"});
    INFO(result.err);
    CHECK(result.status == 7);
    CHECK(result.out.find("probe: argv[1]=exit\nprobe: argv[2]=7\n") != std::string::npos);
    auto dry = uk.run({"run", "probe-arm64", "--dry-run"});
    CHECK(dry.out.find("qemu-system-aarch64 -machine virt,gic-version=3 -accel tcg -cpu neoverse-n1") !=
          std::string::npos);
    CHECK(dry.out.find("console=ttyAMA0") != std::string::npos);
    CHECK(uk.running_qemus().empty());
    CHECK(uk.instances().empty());
}

TEST_CASE("arm64: a mismatched --arch is one clear line, status 2, and no image", "[e2e][arm64]")
{
    UkCli uk;
    auto result = uk.run({"build", UK_TEST_GO_SERVER_ARM64, "--arch", "amd64", "-n", "wrong"});
    CHECK(result.status == 2);
    CHECK(result.out.empty());
    CHECK(result.err == "uk: error: --arch amd64 does not match " + std::string(UK_TEST_GO_SERVER_ARM64) +
                            ", an arm64 (AArch64) program: rebuild it for linux/amd64 or give --arch arm64\n");
    auto other_way = uk.run({"build", UK_TEST_GO_SERVER, "--arch", "arm64"});
    CHECK(other_way.status == 2);
    CHECK(other_way.err.find("an x86-64 program: rebuild it for linux/arm64 or give --arch amd64") !=
          std::string::npos);
    CHECK(uk.images().empty());

    // An image says its architecture too: --arch that contradicts it is refused before QEMU.
    REQUIRE(uk.run({"build", UK_TEST_PROBE_ARM64, "-n", "probe-arm64"}).status == 0);
    auto image = uk.run({"run", "probe-arm64", "--arch", "amd64", "--dry-run"});
    CHECK(image.status == 2);
    CHECK(image.err == "uk: error: --arch amd64: " + (uk.home() / "images/probe-arm64.img").string() +
                           " is an arm64 image; leave --arch out\n");
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("arm64: an image from uk image create -t raw boots through AAVMF (UEFI) and answers", "[e2e][arm64]")
{
    UkCli uk;
    auto image = uk.work() / "web-arm64.img";
    auto created = uk.run({"image", "create", UK_TEST_GO_SERVER_ARM64, "-t", "raw", "-o", image.string()});
    INFO(created.err);
    REQUIRE(created.status == 0);
    CHECK(created.out.find("an arm64 image: boots through UEFI firmware") != std::string::npos);
    auto inspected = uk.run({"image", "inspect", image.string()});
    CHECK(inspected.out.find("boots through firmware: yes (UEFI)") != std::string::npos);

    // Under ACPI the power button is an ACPI device; uk-init reads its key as on direct boot.
    auto served = serve_then_interrupt(uk, {"run", "--boot", "firmware", image.string()}, 240s);
    CHECK(served.body == "hello from uk\n");
    CHECK(served.status == 0);
    CHECK(uk.started_output().find("EFI stub: Booting Linux Kernel") != std::string::npos);
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("arm64: Debian's arm64 Node.js, its libraries from --sysroot, answers HTTP", "[e2e][arm64]")
{
    UkCli uk;
    std::filesystem::path root = UK_TEST_NODE_ARM64_ROOT;
    auto built = uk.run({"build", "-c", UK_TEST_NODE_CONFIG, (root / "usr/bin/node").string(), "--sysroot", root.string(),
                         "-n", "node-arm64"});
    INFO(built.err);
    REQUIRE(built.status == 0);
    auto listed = uk.run({"build", "-c", UK_TEST_NODE_CONFIG, (root / "usr/bin/node").string(), "--sysroot",
                          root.string(), "--list"});
    // The loader and libraries are arm64 ones from the sysroot; Debian's externalized
    // builtins come along.
    CHECK(listed.out.find("/lib/aarch64-linux-gnu/libnode.so.108") != std::string::npos);
    CHECK(listed.out.find("/usr/share/nodejs/undici/undici-fetch.js") != std::string::npos);

    auto served = serve_then_interrupt(uk, {"run", "node-arm64", "--mem", "192M"}, 280s);
    CHECK(served.body.find("hello") != std::string::npos);
    CHECK(served.status == 0);
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("arm64: what arm64 guests do not have yet is one clear line each", "[e2e][arm64]")
{
    UkCli uk;
    auto strace = uk.run({"build", UK_TEST_PROBE_ARM64, "--strace"});
    CHECK(strace.status == 2);
    CHECK(strace.err.find("which an arm64 (AArch64) guest cannot run") != std::string::npos);
    auto kernel = uk.run({"build", UK_TEST_PROBE_ARM64, "--kernel", UK_TEST_PROBE});
    CHECK(kernel.status == 2);
    CHECK(kernel.err == "uk: error: --kernel " + std::string(UK_TEST_PROBE) +
                            " takes an x86-64 kernel; arm64 images boot uk's own arm64 kernel: leave --kernel out\n");
    CHECK(uk.images().empty());

    REQUIRE(uk.run({"build", UK_TEST_PROBE_ARM64, "--root-fs", "erofs", "-n", "probe-erofs"}).status == 0);
    auto erofs = uk.run({"run", "probe-erofs"});
    CHECK(erofs.status == 2);
    CHECK(erofs.err.find("is an arm64 image with an EROFS root, which uk reads in place on x86-64 guests only: "
                         "rebuild it with --root-fs squashfs") != std::string::npos);

    REQUIRE(uk.run({"build", UK_TEST_GO_SERVER_ARM64, "-n", "web"}).status == 0);
    auto port = uk::test::free_tcp_port();
    auto started = uk.run({"run", "-d", "web", "--name", "web", "-p", std::to_string(port) + ":8080"});
    INFO(started.err);
    REQUIRE(started.status == 0);
    auto stats = uk.run({"instance", "stats", "web"});
    CHECK(stats.status == 69);
    CHECK(stats.err == "uk: error: instance web is an arm64 guest: uk instance stats asks an agent that x86-64 guests "
                       "have, arm64 ones not yet\n");
    CHECK(uk.run({"instance", "rm", "-f", "web"}).status == 0);
    CHECK(uk.running_qemus().empty());
}
