// EROFS roots (uk build --root-fs erofs) as uk writes them, read back with erofs-utils'
// fsck.erofs, which uk did not write, and with uk's own reader.
#include "core/sha256.hpp"
#include "guest/embedded.hpp"
#include "image/build.hpp"
#include "image/erofs.hpp"
#include "image/firmware.hpp"
#include "image/inspect.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

using uk::test::run_tool;
using uk::test::TempDir;

namespace {

uk::image::BuildRequest erofs_request(const std::filesystem::path& output)
{
    uk::image::BuildRequest request;
    request.program = UK_TEST_PROBE;
    request.name = "probe";
    request.args = {"exit", "3"};
    request.output = output;
    request.root_fs = uk::settings::RootFs::erofs;
    request.kernel = uk::guest::kernel_image();
    request.init = uk::guest::init_program();
    return request;
}

// The root partition alone, as a file fsck.erofs reads.
std::filesystem::path root_partition(const std::filesystem::path& image, const std::filesystem::path& out)
{
    auto sfdisk = run_tool({"sfdisk", "--json", image.string()});
    REQUIRE(sfdisk.status == 0);
    auto root = nlohmann::json::parse(sfdisk.output).at("partitiontable").at("partitions").at(1);
    auto dd = run_tool({"dd", "if=" + image.string(), "of=" + out.string(), "bs=512",
                        "skip=" + std::to_string(root.at("start").get<std::uint64_t>()),
                        "count=" + std::to_string(root.at("size").get<std::uint64_t>()), "status=none"});
    REQUIRE(dd.status == 0);
    return out;
}

} // namespace

TEST_CASE("erofs: fsck.erofs finds the root whole, and what it extracts is what went in", "[unit][image]")
{
    TempDir dir;
    auto built = uk::image::build_image(erofs_request(dir / "probe.img"));
    REQUIRE(built);
    CHECK(built->root_fs == uk::settings::RootFs::erofs);
    CHECK(built->compression == uk::settings::Compression::none);
    auto root = root_partition(dir / "probe.img", dir / "root.erofs");
    auto fsck = run_tool({"fsck.erofs", "--extract=" + (dir / "out").string(), root.string()});
    INFO(fsck.output);
    REQUIRE(fsck.status == 0);
    CHECK(uk::sha256_file(dir / "out/probe").value() == uk::sha256_file(UK_TEST_PROBE).value());
    CHECK(std::filesystem::status(dir / "out/probe").permissions() == std::filesystem::perms(0755));
    auto manifest = nlohmann::json::parse(uk::test::read_text(dir / "out/etc/uk/manifest.json"));
    CHECK(manifest.at("argv") == nlohmann::json({"/probe", "exit", "3"}));
    CHECK(std::filesystem::read_symlink(dir / "out/etc/resolv.conf") == "/run/resolv.conf");
    CHECK(std::filesystem::is_directory(dir / "out/proc"));
    // Every file's data on its own 4 KiB block: what a guest maps in place (DAX).
    auto dump = run_tool({"dump.erofs", "--path=/probe", root.string()});
    INFO(dump.output);
    CHECK(dump.output.find("Layout: 0 ") != std::string::npos); // EROFS_INODE_FLAT_PLAIN
    CHECK(dump.output.find("Compression ratio: 100.00%") != std::string::npos);
}

TEST_CASE("erofs: the same tree gives the same bytes, a whole number of 2 MiB", "[unit][image]")
{
    TempDir dir;
    auto first = uk::image::build_image(erofs_request(dir / "a.img"));
    auto second = uk::image::build_image(erofs_request(dir / "b.img"));
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->disk.sha256 == second->disk.sha256);
    CHECK(std::filesystem::file_size(dir / "a.img") % (2 * 1024 * 1024) == 0);
}

TEST_CASE("erofs: uk's reader lists the root and reads files, and refuses a damaged one", "[unit][image]")
{
    TempDir dir;
    REQUIRE(uk::image::build_image(erofs_request(dir / "probe.img")));
    auto root = root_partition(dir / "probe.img", dir / "root.erofs");
    int fd = ::open(root.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    auto size = std::filesystem::file_size(root);
    auto reader = uk::image::ErofsReader::open(fd, 0, size);
    REQUIRE(reader);
    auto listed = reader->list();
    REQUIRE(listed);
    auto find = [&](const std::string& path) {
        return std::find_if(listed->begin(), listed->end(), [&](const auto& e) { return e.path == path; });
    };
    REQUIRE(find("/probe") != listed->end());
    CHECK(find("/probe")->size == std::filesystem::file_size(UK_TEST_PROBE));
    CHECK(find("/sbin")->type == 'd');
    CHECK(find("/etc/resolv.conf")->link_target == "/run/resolv.conf");
    auto manifest = reader->read("/etc/uk/manifest.json");
    REQUIRE(manifest);
    CHECK(nlohmann::json::parse(*manifest).at("program") == "/probe");
    CHECK_FALSE(reader->read("/etc/missing"));
    CHECK_FALSE(reader->read("/etc"));
    // Bounded by the partition: a root that claims more blocks than it has is refused.
    CHECK_FALSE(uk::image::ErofsReader::open(fd, 0, 8192));
    ::close(fd);
}

TEST_CASE("erofs: inspect and the boot check name the root's file system", "[unit][image]")
{
    TempDir dir;
    REQUIRE(uk::image::build_image(erofs_request(dir / "probe.img")));
    auto info = uk::image::inspect_image(dir / "probe.img");
    REQUIRE(info);
    CHECK(info->file_system == "erofs");
    CHECK(info->compression == "none");
    CHECK(info->manifest.at("program") == "/probe");
    CHECK(std::any_of(info->entries.begin(), info->entries.end(), [](const auto& e) { return e.path == "/probe"; }));
    auto root = uk::image::bootable_root(dir / "probe.img");
    REQUIRE(root);
    CHECK(root->file_system == uk::settings::RootFs::erofs);
    CHECK(uk::image::firmware_kernel_args(root->partuuid, root->file_system).find(" rootfstype=erofs ") !=
          std::string::npos);

    // Persistent memory is mapped in 2 MiB units: a copy cut short is refused before QEMU.
    std::filesystem::copy_file(dir / "probe.img", dir / "odd.img");
    std::filesystem::resize_file(dir / "odd.img", std::filesystem::file_size(dir / "probe.img") + 4096);
    auto odd = uk::image::bootable_root(dir / "odd.img");
    REQUIRE_FALSE(odd);
    CHECK(odd.error().message.find("a whole number of 2 MiB") != std::string::npos);
}

TEST_CASE("erofs: a compression is refused for an EROFS root", "[unit][image]")
{
    TempDir dir;
    auto request = erofs_request(dir / "probe.img");
    request.compression = uk::settings::Compression::lz4;
    auto built = uk::image::build_image(request);
    REQUIRE_FALSE(built);
    CHECK(built.error().kind == uk::ErrorKind::usage);
    CHECK(built.error().message ==
          "--compression lz4 goes with a SquashFS root: an EROFS root (--root-fs erofs) is stored uncompressed; leave "
          "--compression out");
    CHECK_FALSE(std::filesystem::exists(dir / "probe.img"));
}
