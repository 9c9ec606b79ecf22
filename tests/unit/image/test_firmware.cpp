// Self-booting images, read back with tools uk did not write: mtools for the boot
// partition, qemu-img for the formats, tar for GCP's bundle.
#include "core/sha256.hpp"
#include "guest/embedded.hpp"
#include "image/build.hpp"
#include "image/export.hpp"
#include "image/firmware.hpp"
#include "image/inspect.hpp"
#include "support/environment.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>

using uk::test::run_tool;
using uk::test::TempDir;

namespace {

std::filesystem::path bootable_probe(const TempDir& dir, const std::string& name = "probe.img")
{
    uk::image::BuildRequest request;
    request.program = UK_TEST_PROBE;
    request.name = "probe";
    request.output = dir / name;
    request.kernel = uk::guest::kernel_image();
    request.init = uk::guest::init_program();
    REQUIRE(uk::image::build_image(request));
    auto tools = uk::image::find_firmware_tools();
    REQUIRE(tools);
    REQUIRE(uk::image::make_firmware_bootable(dir / name, *tools));
    return dir / name;
}

std::string fat_of(const std::filesystem::path& image) { return image.string() + "@@1048576"; }

} // namespace

TEST_CASE("firmware: the boot partition holds BOOTX64.EFI, syslinux and its config, the MBR is syslinux's",
          "[unit][image]")
{
    TempDir dir;
    auto image = bootable_probe(dir);
    auto listing = run_tool({"mdir", "-a", "-b", "-i", fat_of(image), "::/"});
    INFO(listing.output);
    CHECK(listing.output.find("::/ldlinux.sys") != std::string::npos);
    CHECK(listing.output.find("::/syslinux.cfg") != std::string::npos);
    CHECK(listing.output.find("::/vmlinuz") == std::string::npos); // moved, not copied
    REQUIRE(run_tool({"mcopy", "-i", fat_of(image), "::/EFI/BOOT/BOOTX64.EFI", (dir / "efi").string()}).status == 0);
    auto kernel = uk::guest::kernel_image();
    CHECK(uk::sha256_file(dir / "efi").value() == uk::sha256_hex(kernel));
    REQUIRE(run_tool({"mcopy", "-i", fat_of(image), "::/syslinux.cfg", (dir / "cfg").string()}).status == 0);
    auto partuuid = uk::image::root_partuuid_of(image).value();
    CHECK(uk::test::read_text(dir / "cfg") == "DEFAULT uk\nPROMPT 0\nTIMEOUT 0\nLABEL uk\n  LINUX /EFI/BOOT/BOOTX64.EFI\n"
                                              "  APPEND " + uk::image::firmware_kernel_args(partuuid) + "\n");
    auto mbr = uk::test::read_text("/usr/lib/syslinux/mbr/gptmbr.bin").substr(0, 440);
    CHECK(uk::test::read_text(image).substr(0, 440) == mbr);
    CHECK(uk::image::has_boot_loader(image));
    CHECK(uk::image::has_bios_boot_code(image));
    // The partition table is still what sfdisk reads, the boot partition legacy-bootable.
    auto table = run_tool({"sfdisk", "--json", image.string()});
    CHECK(table.output.find("LegacyBIOSBootable") != std::string::npos);
}

TEST_CASE("firmware: where there is no syslinux (an arm64 host) an x86-64 image boots through UEFI only",
          "[unit][image]")
{
    TempDir dir;
    // A PATH with mtools and env but no syslinux, as on an arm64 Debian machine.
    auto bin = dir / "bin";
    std::filesystem::create_directories(bin);
    for (const auto* tool : {"mcopy", "mmd", "mmove", "mdir", "env"}) {
        REQUIRE(std::filesystem::exists(std::filesystem::path("/usr/bin") / tool));
        std::filesystem::create_symlink(std::filesystem::path("/usr/bin") / tool, bin / tool);
    }
    uk::test::ScopedEnv path("PATH", bin.string());
    auto on_x86 = uk::image::find_firmware_tools(uk::Arch::amd64);
    REQUIRE_FALSE(on_x86);
    CHECK(on_x86.error().message.starts_with("syslinux is not installed"));
    auto tools = uk::image::find_firmware_tools(uk::Arch::arm64);
    REQUIRE(tools);
    CHECK(tools->syslinux.empty());

    uk::image::BuildRequest request;
    request.program = UK_TEST_PROBE;
    request.name = "probe";
    request.output = dir / "probe.img";
    request.kernel = uk::guest::kernel_image();
    request.init = uk::guest::init_program();
    REQUIRE(uk::image::build_image(request));
    REQUIRE(uk::image::make_firmware_bootable(request.output, *tools));
    REQUIRE(run_tool({"mcopy", "-i", fat_of(request.output), "::/EFI/BOOT/BOOTX64.EFI", (dir / "efi").string()})
                .status == 0);
    CHECK(uk::sha256_file(dir / "efi").value() == uk::sha256_hex(uk::guest::kernel_image()));
    CHECK(run_tool({"mdir", "-a", "-b", "-i", fat_of(request.output), "::/"}).output.find("ldlinux.sys") ==
          std::string::npos);
    CHECK(uk::image::has_boot_loader(request.output));
    CHECK_FALSE(uk::image::has_bios_boot_code(request.output));
}

TEST_CASE("firmware: the same inputs give the same bootable image", "[unit][image]")
{
    TempDir dir;
    auto first = bootable_probe(dir, "a.img");
    auto second = bootable_probe(dir, "b.img");
    CHECK(uk::sha256_file(first).value() == uk::sha256_file(second).value());
}

TEST_CASE("export: each target in its format, as qemu-img and tar read them", "[unit][image]")
{
    TempDir dir;
    auto raw = bootable_probe(dir);
    struct Case {
        uk::image::Target target;
        const char* file;
        const char* format; // qemu-img's name, or "" for the tarball
    };
    for (const auto& c : {Case{uk::image::Target::raw, "out.img", "raw"}, Case{uk::image::Target::qcow2, "out.qcow2", "qcow2"},
                          Case{uk::image::Target::openstack, "os.qcow2", "qcow2"},
                          Case{uk::image::Target::vmdk, "out.vmdk", "vmdk"}, Case{uk::image::Target::aws, "aws.vmdk", "vmdk"},
                          Case{uk::image::Target::vhd, "out.vhd", "vpc"}, Case{uk::image::Target::gcp, "out.tar.gz", ""}}) {
        INFO(c.file);
        REQUIRE(uk::image::export_image(raw, c.target, dir / c.file));
        if (*c.format) {
            auto info = run_tool({"qemu-img", "info", "-f", c.format, "--output=json", (dir / c.file).string()});
            REQUIRE(info.status == 0);
            CHECK(info.output.find("\"virtual-size\": " + std::to_string(std::filesystem::file_size(raw))) !=
                  std::string::npos);
            if (std::string(c.format) != "raw" && std::string(c.format) != "vpc")
                CHECK(run_tool({"qemu-img", "check", "-f", c.format, (dir / c.file).string()}).status == 0);
            CHECK(uk::image::detect_disk_format(dir / c.file).value() == c.format);
        } else {
            auto listing = run_tool({"tar", "tzvf", (dir / c.file).string()});
            CHECK(listing.output.find(" disk.raw\n") != std::string::npos);
            CHECK(listing.output.find("\n") == listing.output.size() - 1); // one file
            REQUIRE(run_tool({"tar", "xzf", (dir / c.file).string(), "-C", dir.path().string()}).status == 0);
            CHECK(uk::sha256_file(dir / "disk.raw").value() == uk::sha256_file(raw).value());
            auto format = uk::image::detect_disk_format(dir / c.file);
            REQUIRE_FALSE(format);
            CHECK(format.error().message.find("unpack its disk.raw first") != std::string::npos);
        }
    }
    // No partial file is ever left beside an output.
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        CHECK(entry.path().filename().string().find(".partial") == std::string::npos);
}

TEST_CASE("export: an unknown target is one clear error", "[unit][image]")
{
    auto target = uk::image::parse_target("floppy");
    REQUIRE_FALSE(target);
    CHECK(target.error().message == "unknown target \"floppy\": use raw, qcow2, vmdk, vhd, gcp, aws or openstack");
}

TEST_CASE("inspect: what an image holds, read back from the file alone", "[unit][image]")
{
    TempDir dir;
    uk::image::BuildRequest request;
    request.program = UK_TEST_PROBE;
    request.name = "probe";
    request.args = {"exit", "3"};
    request.env = {{"GREETING", "hello"}};
    request.output = dir / "probe.img";
    request.compression = uk::image::Compression::none;
    request.kernel = uk::guest::kernel_image();
    request.init = uk::guest::init_program();
    REQUIRE(uk::image::build_image(request));
    auto info = uk::image::inspect_image(dir / "probe.img");
    REQUIRE(info);
    CHECK_FALSE(info->firmware_bootable);
    CHECK(info->kernel_version == uk::guest::kernel_record().release);
    CHECK(info->compression == "none");
    CHECK(info->block_size == 128 * 1024); // a small root (image/squashfs.hpp)
    CHECK(info->root_partuuid == uk::image::root_partuuid_of(dir / "probe.img").value());
    auto json = uk::image::to_json(*info);
    CHECK(json["program"] == "/probe");
    CHECK(json["args"] == nlohmann::json::array({"exit", "3"}));
    CHECK(json["env"]["GREETING"] == "hello");
    bool found_program = false, found_link = false;
    for (const auto& e : info->entries) {
        if (e.path == "/probe")
            found_program = e.size == std::filesystem::file_size(UK_TEST_PROBE) && e.mode == 0755;
        if (e.path == "/etc/resolv.conf")
            found_link = e.type == 'l' && e.link_target == "/run/resolv.conf";
    }
    CHECK(found_program);
    CHECK(found_link);

    auto tools = uk::image::find_firmware_tools();
    REQUIRE(tools);
    REQUIRE(uk::image::make_firmware_bootable(dir / "probe.img", *tools));
    auto bootable = uk::image::inspect_image(dir / "probe.img");
    REQUIRE(bootable);
    CHECK(bootable->firmware_bootable);
    CHECK(bootable->kernel_version == uk::guest::kernel_record().release);

    uk::test::write_text(dir / "notes.txt", std::string(4096, 'x'));
    auto not_image = uk::image::inspect_image(dir / "notes.txt");
    REQUIRE_FALSE(not_image);
}
