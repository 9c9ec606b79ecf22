// Images made for clouds boot as a cloud boots them: through firmware (SeaBIOS, or OVMF
// for UEFI), with the disk on virtio-blk, virtio-scsi or NVMe, the address from DHCP,
// and the Go server answering HTTP.
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace std::chrono_literals;
using uk::test::UkCli;

namespace {

std::filesystem::path create(UkCli& uk, const std::string& target)
{
    auto result = uk.run({"image", "create", UK_TEST_GO_SERVER, "-t", target, "-n", "web", "-q", "-o",
                          uk.work().path().string()});
    INFO(result.err);
    REQUIRE(result.status == 0);
    auto path = std::filesystem::path(result.out.substr(0, result.out.find('\n')));
    REQUIRE(std::filesystem::exists(path));
    return path;
}

void boots_and_answers(UkCli& uk, const std::filesystem::path& image, const std::vector<std::string>& extra)
{
    INFO(image.string());
    auto port = uk::test::free_tcp_port();
    std::vector<std::string> args{"run", "-d", "--name", "fw", "--boot", "firmware", image.string(), "-p",
                                  std::to_string(port) + ":8080", "--mem", "128M"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto started = uk.run(args);
    INFO(started.err);
    INFO(uk.run({"instance", "logs", "--all", "fw"}).out);
    REQUIRE(started.status == 0);
    auto response = uk::test::http_get("127.0.0.1", port, "/", 30s);
    REQUIRE(response);
    CHECK(response->body == "hello from uk\n");
    // The guest took its address from QEMU's DHCP server (no uk.ip= on this path).
    auto console = uk.run({"instance", "logs", "--all", "fw"}).out;
    CHECK(console.find("uk.ip=") == std::string::npos);
    CHECK(uk.run({"instance", "rm", "-f", "fw"}).status == 0);
}

} // namespace

TEST_CASE("firmware boot (BIOS, virtio-blk) of the raw, qcow2, vhd and gcp images", "[e2e]")
{
    UkCli uk;
    auto raw = create(uk, "raw");
    CHECK(uk::test::run_tool({"qemu-img", "info", "-f", "raw", raw.string()}).status == 0);
    boots_and_answers(uk, raw, {});

    auto qcow2 = create(uk, "qcow2");
    CHECK(uk::test::run_tool({"qemu-img", "check", qcow2.string()}).status == 0);
    boots_and_answers(uk, qcow2, {});

    auto vhd = create(uk, "vhd");
    CHECK(uk::test::run_tool({"qemu-img", "info", "-f", "vpc", vhd.string()}).status == 0);
    boots_and_answers(uk, vhd, {});

    auto gcp = create(uk, "gcp");
    CHECK(gcp.filename() == "web.tar.gz");
    auto unpacked = uk.work() / "gcp";
    std::filesystem::create_directory(unpacked);
    REQUIRE(uk::test::run_tool({"tar", "xzf", gcp.string(), "-C", unpacked.string()}).status == 0);
    CHECK(uk::test::run_tool({"qemu-img", "info", "-f", "raw", (unpacked / "disk.raw").string()}).status == 0);
    boots_and_answers(uk, unpacked / "disk.raw", {});
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("firmware boot (BIOS) with the disk on virtio-scsi and on NVMe", "[e2e]")
{
    UkCli uk;
    auto raw = create(uk, "raw");
    boots_and_answers(uk, raw, {"--disk-bus", "scsi"});
    boots_and_answers(uk, raw, {"--disk-bus", "nvme"});
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("firmware boot (UEFI, OVMF) of the raw image", "[e2e]")
{
    UkCli uk;
    auto raw = create(uk, "raw");
    boots_and_answers(uk, raw, {"--uefi"});
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("an x86-64 image without BIOS boot code, as made on an arm64 machine, boots through OVMF without --uefi",
          "[e2e]")
{
    UkCli uk;
    auto raw = create(uk, "raw");
    // What uk image create writes where there is no syslinux: no boot code in the MBR
    // (tests/unit/image/test_firmware.cpp makes one such image itself).
    {
        std::fstream disk(raw, std::ios::in | std::ios::out | std::ios::binary);
        REQUIRE(disk);
        disk.write(std::string(440, '\0').data(), 440);
    }
    auto dry = uk.run({"run", "--dry-run", "--boot", "firmware", raw.string()});
    INFO(dry.err);
    REQUIRE(dry.status == 0);
    CHECK(dry.out.find("OVMF") != std::string::npos);
    boots_and_answers(uk, raw, {});
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("firmware mistakes: one line each", "[e2e]")
{
    UkCli uk;
    auto one_line = [](const uk::test::UkResult& result, int status, const std::string& message) {
        INFO(result.err);
        CHECK(result.status == status);
        CHECK(result.error_lines() == std::vector<std::string>{"uk: error: " + message});
    };
    one_line(uk.run({"image", "create", UK_TEST_GO_SERVER, "-t", "floppy"}), 2,
             "unknown target \"floppy\": use raw, qcow2, vmdk, vhd, gcp, aws or openstack");
    one_line(uk.run({"run", "--boot", "firmware", UK_TEST_GO_SERVER}), 2,
             "--boot firmware boots an image with its own boot loader: make one with uk image create " +
                 std::string(UK_TEST_GO_SERVER) + " -t raw");
    auto plain = uk.work() / "plain.img";
    REQUIRE(uk.run({"build", UK_TEST_GO_SERVER, "-o", plain.string(), "-q"}).status == 0);
    one_line(uk.run({"run", "--boot", "firmware", plain.string()}), 65,
             plain.string() + " has no boot loader: make a firmware-bootable image with uk image create -t raw");
    one_line(uk.run({"run", UK_TEST_GO_SERVER, "--uefi"}), 2, "--uefi goes with --boot firmware");
    one_line(uk.run({"image", "rm", "nothing"}), 66,
             "no image named nothing in " + (uk.home() / "images").string() + " (uk image list shows them)");
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("uk image list, inspect and rm, as text and as JSON", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_PROBE, "-n", "job", "-a", "exit", "-a", "4", "-e", "MODE=batch", "-q"}).status == 0);
    auto listed = nlohmann::json::parse(uk.run({"image", "list", "--json"}).out);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["name"] == "job");
    CHECK(listed[0]["path"] == (uk.home() / "images/job.img").string());
    CHECK(listed[0].contains("size_bytes"));
    CHECK(listed[0].contains("modified"));

    auto text = uk.run({"image", "inspect", "job"});
    CHECK(text.status == 0);
    CHECK(text.out.find("program    /probe\nargs       exit 4\nenv        MODE=batch\n") != std::string::npos);
    auto inspected = nlohmann::json::parse(uk.run({"image", "inspect", "job", "--json"}).out);
    for (const char* field : {"image", "format", "size_bytes", "allocated_bytes", "firmware_bootable", "kernel_version",
                              "root_partuuid", "root_bytes", "compression", "block_size", "program", "args", "env",
                              "manifest", "files"}) {
        INFO(field);
        CHECK(inspected.contains(field));
    }
    CHECK(inspected["args"] == nlohmann::json::array({"exit", "4"}));
    CHECK(inspected["firmware_bootable"] == false);

    CHECK(uk.run({"image", "rm", "job"}).out == "job\n");
    CHECK(uk.images().empty());
    auto gone = uk.run({"image", "inspect", "job"});
    CHECK(gone.status == 66);
}
