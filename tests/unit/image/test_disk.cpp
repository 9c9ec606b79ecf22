// Images as uk writes them, read back with tools uk did not write: sfdisk for the GPT,
// unsquashfs for the root, mtools and fsck.fat for the boot partition.
#include "core/sha256.hpp"
#include "guest/embedded.hpp"
#include "image/build.hpp"
#include "image/inspect.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

using uk::test::run_tool;
using uk::test::TempDir;

namespace {

uk::image::BuildRequest probe_request(const std::filesystem::path& output)
{
    uk::image::BuildRequest request;
    request.program = UK_TEST_PROBE;
    request.name = "probe";
    request.args = {"exit", "3"};
    request.env = {{"GREETING", "hello, world"}};
    request.output = output;
    request.kernel = uk::guest::kernel_image();
    request.init = uk::guest::init_program();
    return request;
}

nlohmann::json partition_table(const std::filesystem::path& image)
{
    auto sfdisk = run_tool({"sfdisk", "--json", image.string()});
    REQUIRE(sfdisk.status == 0);
    return nlohmann::json::parse(sfdisk.output).at("partitiontable");
}

std::string root_offset(const std::filesystem::path& image)
{
    return std::to_string(partition_table(image).at("partitions").at(1).at("start").get<std::uint64_t>() * 512);
}

} // namespace

TEST_CASE("image: a GPT disk with an EFI boot partition and the root, 1 MiB aligned", "[unit][image]")
{
    TempDir dir;
    auto built = uk::image::build_image(probe_request(dir / "probe.img"));
    REQUIRE(built);
    auto table = partition_table(dir / "probe.img");
    CHECK(table.at("label") == "gpt");
    auto partitions = table.at("partitions");
    REQUIRE(partitions.size() == 2);
    CHECK(partitions[0].at("name") == "uk-boot");
    CHECK(partitions[0].at("type") == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    CHECK(partitions[0].at("start") == 2048);
    CHECK(partitions[1].at("name") == "uk-root");
    CHECK(partitions[1].at("type") == "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709");
    CHECK(partitions[1].at("start").get<std::uint64_t>() % 2048 == 0);
    CHECK(partitions[1].at("uuid") == built->disk.root_partuuid);
    CHECK(run_tool({"sfdisk", "--verify", (dir / "probe.img").string()}).output.find("No errors detected") !=
          std::string::npos);
    CHECK(std::filesystem::file_size(dir / "probe.img") % (1024 * 1024) == 0);
}

TEST_CASE("image: the root holds the program byte for byte, uk-init, the manifest and /etc", "[unit][image]")
{
    TempDir dir;
    REQUIRE(uk::image::build_image(probe_request(dir / "probe.img")));
    auto unpack = run_tool({"unsquashfs", "-q", "-no-progress", "-o", root_offset(dir / "probe.img"), "-d",
                            (dir / "root").string(), (dir / "probe.img").string()});
    REQUIRE(unpack.status == 0);
    CHECK(uk::sha256_file(dir / "root/probe").value() == uk::sha256_file(UK_TEST_PROBE).value());
    CHECK(uk::test::read_text(dir / "root/sbin/uk-init") ==
          std::string(reinterpret_cast<const char*>(uk::guest::init_program().data()), uk::guest::init_program().size()));
    auto manifest = nlohmann::json::parse(uk::test::read_text(dir / "root/etc/uk/manifest.json"));
    CHECK(manifest.at("program") == "/probe");
    CHECK(manifest.at("argv") == nlohmann::json({"/probe", "exit", "3"}));
    CHECK(manifest.at("env") == nlohmann::json({{"GREETING", "hello, world"}}));
    CHECK(manifest.at("hostname") == "probe");
    CHECK(std::filesystem::read_symlink(dir / "root/etc/resolv.conf") == "/run/resolv.conf");
    CHECK(uk::test::read_text(dir / "root/etc/passwd").starts_with("root:x:0:0:"));
    CHECK(std::filesystem::exists(dir / "root/etc/hosts"));
    CHECK(std::filesystem::exists(dir / "root/etc/group"));
    for (const char* folder : {"proc", "sys", "dev", "tmp"})
        CHECK(std::filesystem::is_directory(dir / "root" / folder));
    struct stat program_stat{};
    REQUIRE(::stat((dir / "root/probe").c_str(), &program_stat) == 0);
    CHECK((program_stat.st_mode & 0777) == 0755);
    auto listing = run_tool({"unsquashfs", "-lls", "-o", root_offset(dir / "probe.img"), (dir / "probe.img").string()});
    CHECK(listing.output.find("root/root") != std::string::npos); // every file owned by root
}

TEST_CASE("image: the boot partition is a clean FAT16 holding the kernel", "[unit][image]")
{
    TempDir dir;
    REQUIRE(uk::image::build_image(probe_request(dir / "probe.img")));
    auto image_with_offset = (dir / "probe.img").string() + "@@1M";
    REQUIRE(run_tool({"mcopy", "-i", image_with_offset, "::vmlinuz", (dir / "vmlinuz").string()}).status == 0);
    CHECK(uk::sha256_file(dir / "vmlinuz").value() == uk::guest::kernel_record().sha256);
    auto boot = partition_table(dir / "probe.img").at("partitions").at(0);
    auto extract = run_tool({"dd", "if=" + (dir / "probe.img").string(), "of=" + (dir / "boot.fat").string(), "bs=512",
                             "skip=" + std::to_string(boot.at("start").get<std::uint64_t>()),
                             "count=" + std::to_string(boot.at("size").get<std::uint64_t>()), "status=none"});
    REQUIRE(extract.status == 0);
    CHECK(run_tool({"file", "-b", (dir / "boot.fat").string()}).output.find("FAT (16 bit)") != std::string::npos);
    auto check = run_tool({"fsck.fat", "-n", (dir / "boot.fat").string()});
    INFO(check.output);
    CHECK(check.status == 0);
}

TEST_CASE("image: the same inputs give the same bytes", "[unit][image]")
{
    TempDir one, two;
    auto first = uk::image::build_image(probe_request(one / "a.img"));
    auto second = uk::image::build_image(probe_request(two / "b.img"));
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->disk.sha256 == second->disk.sha256);
    CHECK(uk::sha256_file(one / "a.img").value() == uk::sha256_file(two / "b.img").value());
    auto changed = probe_request(two / "c.img");
    changed.args = {"exit", "4"};
    auto third = uk::image::build_image(changed);
    REQUIRE(third);
    CHECK(third->disk.sha256 != first->disk.sha256);
    CHECK(third->disk.root_partuuid != first->disk.root_partuuid);
}

TEST_CASE("image: the root's compression is selectable", "[unit][image]")
{
    TempDir dir;
    for (auto [compression, expected] : {std::pair{uk::image::Compression::zstd, "Compression zstd"},
                                         std::pair{uk::image::Compression::lz4, "Compression lz4"},
                                         std::pair{uk::image::Compression::none, "Data is uncompressed"}}) {
        auto request = probe_request(dir / "probe.img");
        request.compression = compression;
        REQUIRE(uk::image::build_image(request));
        auto summary = run_tool({"unsquashfs", "-s", "-o", root_offset(dir / "probe.img"), (dir / "probe.img").string()});
        INFO(summary.output);
        CHECK(summary.output.find(expected) != std::string::npos);
        auto unpack = run_tool({"unsquashfs", "-q", "-no-progress", "-f", "-o", root_offset(dir / "probe.img"), "-d",
                                (dir / "root").string(), (dir / "probe.img").string()});
        REQUIRE(unpack.status == 0);
        CHECK(uk::sha256_file(dir / "root/probe").value() == uk::sha256_file(UK_TEST_PROBE).value());
    }
}

TEST_CASE("image: a small root is zstd in 128 KiB blocks, a large one lz4 in 1 MiB blocks", "[unit][image]")
{
    using uk::image::Compression;
    CHECK(uk::image::resolve_compression(Compression::automatic, 31'000'000) == Compression::zstd);
    CHECK(uk::image::resolve_compression(Compression::automatic, 33'000'000) == Compression::lz4);
    CHECK(uk::image::resolve_compression(Compression::none, 33'000'000) == Compression::none);
    CHECK(uk::image::block_size_for(31'000'000) == 128 * 1024);
    CHECK(uk::image::block_size_for(33'000'000) == 1024 * 1024);

    TempDir dir;
    auto request = probe_request(dir / "probe.img");
    auto built = uk::image::build_image(request);
    REQUIRE(built);
    CHECK(built->compression == Compression::zstd);
    auto summary = run_tool({"unsquashfs", "-s", "-o", root_offset(dir / "probe.img"), (dir / "probe.img").string()});
    CHECK(summary.output.find("Compression zstd") != std::string::npos);
    CHECK(summary.output.find("Block size 131072") != std::string::npos);
}

TEST_CASE("image: a failed build leaves nothing behind", "[unit][image]")
{
    TempDir dir;
    auto request = probe_request(dir / "out.img");
    request.program = dir / "no-such-program";
    auto result = uk::image::build_image(request);
    REQUIRE_FALSE(result);
    CHECK(result.error().message == "program " + (dir / "no-such-program").string() + " does not exist");
    CHECK(std::filesystem::is_empty(dir.path()));

    // The output folder is missing: the error names it; no stray temporary file either.
    auto nowhere = probe_request(dir / "missing-folder" / "out.img");
    auto failed = uk::image::build_image(nowhere);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message.starts_with("cannot create a file in " + (dir / "missing-folder").string()));
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("image: building over an existing image replaces it whole", "[unit][image]")
{
    TempDir dir;
    uk::test::write_text(dir / "probe.img", "old");
    REQUIRE(uk::image::build_image(probe_request(dir / "probe.img")));
    CHECK(std::filesystem::file_size(dir / "probe.img") > 1024 * 1024);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
        files++;
    CHECK(files == 1);
}

TEST_CASE("image: a build stopped by Ctrl-C leaves nothing behind, and an older image stays", "[unit][image]")
{
    TempDir dir;
    auto request = probe_request(dir / "probe.img");
    request.cancelled = [] { return true; };
    auto stopped = uk::image::build_image(request);
    REQUIRE_FALSE(stopped);
    CHECK(stopped.error().kind == uk::ErrorKind::interrupted);
    CHECK(std::filesystem::is_empty(dir.path()));

    REQUIRE(uk::image::build_image(probe_request(dir / "probe.img")));
    auto before = uk::sha256_file(dir / "probe.img").value();
    auto changed = probe_request(dir / "probe.img");
    changed.args = {"exit", "9"};
    int asked = 0;
    changed.cancelled = [&asked] { return ++asked > 2; }; // stops late, after the file data
    REQUIRE_FALSE(uk::image::build_image(changed));
    CHECK(uk::sha256_file(dir / "probe.img").value() == before);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
        files++;
    CHECK(files == 1);
}

TEST_CASE("image: a whole image is bootable, one cut short or with a damaged root is not", "[unit][image]")
{
    TempDir dir;
    auto built = uk::image::build_image(probe_request(dir / "probe.img"));
    REQUIRE(built);
    auto root = uk::image::bootable_root(dir / "probe.img");
    REQUIRE(root);
    CHECK(root->partuuid == built->disk.root_partuuid);
    CHECK(root->file_system == uk::settings::RootFs::squashfs);

    std::filesystem::copy_file(dir / "probe.img", dir / "cut.img");
    std::filesystem::resize_file(dir / "cut.img", std::stoull(root_offset(dir / "probe.img")) + 4096);
    auto cut = uk::image::bootable_root(dir / "cut.img");
    REQUIRE_FALSE(cut);
    CHECK(cut.error().message.starts_with((dir / "cut.img").string() + " is damaged: its uk-root partition ends at "));

    std::filesystem::copy_file(dir / "probe.img", dir / "zeroed.img");
    {
        std::fstream file(dir / "zeroed.img", std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(std::stoull(root_offset(dir / "zeroed.img"))));
        file.write(std::string(96, '\0').data(), 96);
    }
    auto zeroed = uk::image::bootable_root(dir / "zeroed.img");
    REQUIRE_FALSE(zeroed);
    CHECK(zeroed.error().message == (dir / "zeroed.img").string() +
                                        " is damaged: its root file system is not whole (superblock): rebuild it with "
                                        "uk build");
}

TEST_CASE("image: an arm64 program's image has the ARM64 root type, which inspect and the boot check read back",
          "[unit][image]")
{
    TempDir dir;
    auto request = probe_request(dir / "probe.img");
    request.program = UK_TEST_PROBE_ARM64;
    request.arch = uk::Arch::arm64;
    request.kernel = uk::guest::kernel_image(uk::Arch::arm64);
    request.init = uk::guest::init_program(uk::Arch::arm64);
    auto built = uk::image::build_image(request);
    REQUIRE(built);
    auto partitions = partition_table(dir / "probe.img").at("partitions");
    CHECK(partitions[1].at("type") == "B921B045-1DF0-41C3-AF44-4C6F280D3FAE");
    auto info = uk::image::inspect_image(dir / "probe.img");
    REQUIRE(info);
    CHECK(info->arch == uk::Arch::arm64);
    CHECK(uk::image::to_json(*info).at("arch") == "arm64");
    // Read from the banner inside the zboot kernel's compressed Image.
    CHECK(info->kernel_version == uk::guest::kernel_record(uk::Arch::arm64).release);
    auto root = uk::image::bootable_root(dir / "probe.img");
    REQUIRE(root);
    CHECK(root->arch == uk::Arch::arm64);
    CHECK(uk::image::root_partuuid_of(dir / "probe.img"));

    // An x86-64 program is refused for an arm64 image, and the other way round.
    request.program = UK_TEST_PROBE;
    auto mixed = uk::image::build_image(request);
    REQUIRE_FALSE(mixed);
    CHECK(mixed.error().message.find("is an x86-64 program, and the image is for arm64 (AArch64)") != std::string::npos);
}
