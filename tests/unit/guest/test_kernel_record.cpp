// The committed kernel, its record and its sources must agree: nobody changes the
// config or the patches without rebuilding the kernel, or the kernel without the record.
#include "core/files.hpp"
#include "core/sha256.hpp"
#include "guest/embedded.hpp"

#include <algorithm>
#include <cstring>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

namespace {

const std::filesystem::path kernel_dir = UK_TEST_KERNEL_DIR;

nlohmann::json record_file()
{
    auto text = uk::read_file(kernel_dir / "kernel.json");
    REQUIRE(text);
    return nlohmann::json::parse(*text);
}

} // namespace

TEST_CASE("the committed kernel matches the SHA-256 and size in its record", "[unit][guest]")
{
    auto record = record_file();
    auto sha = uk::sha256_file(kernel_dir / "bzImage");
    REQUIRE(sha);
    CHECK(*sha == record.at("sha256").get<std::string>());
    CHECK(std::filesystem::file_size(kernel_dir / "bzImage") == record.at("size").get<std::uintmax_t>());
}

TEST_CASE("the record was made from the committed config fragment, patches and -O2 object list", "[unit][guest]")
{
    auto record = record_file();
    auto fragment_sha = uk::sha256_file(kernel_dir / "uk.config");
    REQUIRE(fragment_sha);
    CHECK(*fragment_sha == record.at("config_fragment_sha256").get<std::string>());

    // build.sh hashes the patches concatenated in name order.
    std::vector<std::filesystem::path> patches;
    for (const auto& entry : std::filesystem::directory_iterator(kernel_dir / "patches"))
        if (entry.path().extension() == ".patch")
            patches.push_back(entry.path());
    std::sort(patches.begin(), patches.end());
    std::string all;
    for (const auto& patch : patches) {
        auto text = uk::read_file(patch);
        REQUIRE(text);
        all += *text;
    }
    CHECK(uk::sha256_hex(uk::as_bytes(all)) == record.at("patches_sha256").get<std::string>());

    auto objects_sha = uk::sha256_file(kernel_dir / "speed-critical.objects");
    REQUIRE(objects_sha);
    CHECK(*objects_sha == record.at("speed_critical_objects_sha256").get<std::string>());
}

TEST_CASE("the uk executable embeds exactly the committed kernel and its record", "[unit][guest]")
{
    auto file = uk::read_file(kernel_dir / "bzImage");
    REQUIRE(file);
    auto embedded = uk::guest::kernel_image();
    REQUIRE(embedded.size() == file->size());
    CHECK(std::equal(embedded.begin(), embedded.end(), reinterpret_cast<const std::byte*>(file->data())));
    auto record = uk::guest::kernel_record();
    CHECK(record.sha256 == record_file().at("sha256").get<std::string>());
    CHECK(record.hz > 0);
}

TEST_CASE("the guest fits its size budget: kernel at most 2.5 MiB, uk-init at most 100 KiB", "[unit][guest]")
{
    CHECK(uk::guest::kernel_image().size() <= 2'621'440);
    CHECK(uk::guest::init_program().size() <= 102'400);
}

TEST_CASE("the embedded uk-init is a static x86-64 executable", "[unit][guest]")
{
    auto init = uk::guest::init_program();
    REQUIRE(init.size() > 64);
    CHECK(std::memcmp(init.data(), "\177ELF", 4) == 0);
    CHECK(std::to_integer<int>(init[4]) == 2);  // ELFCLASS64
    std::uint16_t type = 0, machine = 0, phnum = 0;
    std::uint64_t phoff = 0;
    std::memcpy(&type, init.data() + 16, 2);
    std::memcpy(&machine, init.data() + 18, 2);
    std::memcpy(&phoff, init.data() + 32, 8);
    std::memcpy(&phnum, init.data() + 56, 2);
    CHECK(type == 2);     // ET_EXEC
    CHECK(machine == 62); // EM_X86_64
    for (std::uint16_t i = 0; i < phnum; i++) {
        std::uint32_t segment = 0;
        std::memcpy(&segment, init.data() + phoff + i * 56u, 4);
        CHECK(segment != 3); // no PT_INTERP: nothing to load it with in the guest
    }
}

TEST_CASE("the arm64 kernel, its record and its sources agree, and it is the one uk embeds", "[unit][guest]")
{
    auto arm64 = kernel_dir / "arm64";
    auto text = uk::read_file(arm64 / "kernel.json");
    REQUIRE(text);
    auto record = nlohmann::json::parse(*text);
    CHECK(record.at("arch") == "arm64");
    CHECK(record.at("file") == "vmlinuz.efi");
    auto sha = uk::sha256_file(arm64 / "vmlinuz.efi");
    REQUIRE(sha);
    CHECK(*sha == record.at("sha256").get<std::string>());
    auto fragment_sha = uk::sha256_file(arm64 / "uk.config");
    REQUIRE(fragment_sha);
    CHECK(*fragment_sha == record.at("config_fragment_sha256").get<std::string>());
    auto objects_sha = uk::sha256_file(kernel_dir / "speed-critical.objects");
    REQUIRE(objects_sha);
    CHECK(*objects_sha == record.at("speed_critical_objects_sha256").get<std::string>());

    auto embedded = uk::guest::kernel_image(uk::Arch::arm64);
    CHECK(uk::sha256_hex(embedded) == record.at("sha256").get<std::string>());
    CHECK(uk::guest::kernel_record(uk::Arch::arm64).sha256 == record.at("sha256").get<std::string>());
    // The budget: 3 MiB compressed.
    CHECK(embedded.size() <= 3u * 1024 * 1024);
}

TEST_CASE("the embedded arm64 uk-init is a static AArch64 executable within 150 KiB", "[unit][guest]")
{
    auto init = uk::guest::init_program(uk::Arch::arm64);
    REQUIRE(init.size() > 64);
    CHECK(init.size() <= 150u * 1024);
    CHECK(std::memcmp(init.data(), "\177ELF", 4) == 0);
    std::uint16_t machine = 0, phnum = 0;
    std::uint64_t phoff = 0;
    std::memcpy(&machine, init.data() + 18, 2);
    std::memcpy(&phoff, init.data() + 32, 8);
    std::memcpy(&phnum, init.data() + 56, 2);
    CHECK(machine == 183); // EM_AARCH64
    for (std::uint16_t i = 0; i < phnum; i++) {
        std::uint32_t segment = 0;
        std::memcpy(&segment, init.data() + phoff + i * 56u, 4);
        CHECK(segment != 3); // no PT_INTERP
    }
}
