// The volume store, its locks and the superblock reader, against real ext4 file systems
// made by e2fsprogs in a temporary folder; and a run's mounts as app/volumes.hpp prepares
// and locks them.
#include "app/volumes.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"
#include "volume/ext4.hpp"
#include "volume/lease.hpp"
#include "volume/store.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstring>

using uk::volume::Access;
using uk::volume::Lease;
using uk::volume::Store;

namespace {

auto never = [] { return false; };
constexpr std::uint64_t mib = 1 << 20;

std::vector<std::string> volume_names(const Store& store)
{
    std::vector<std::string> names;
    auto volumes = store.list();
    REQUIRE(volumes);
    for (const auto& v : *volumes)
        names.push_back(v.name);
    return names;
}

// A superblock with the fields the reader looks at.
std::array<std::byte, 1024> superblock(std::uint32_t blocks, std::uint32_t free, std::uint16_t state,
                                       std::uint32_t incompat)
{
    std::array<std::byte, 1024> sb{};
    auto put = [&](std::size_t at, std::uint64_t value, std::size_t width) {
        for (std::size_t i = 0; i < width; i++)
            sb[at + i] = static_cast<std::byte>((value >> (8 * i)) & 0xFF);
    };
    put(0x04, blocks, 4);
    put(0x0C, free, 4);
    put(0x18, 2, 4); // 4 KiB blocks
    put(0x38, 0xEF53, 2);
    put(0x3A, state, 2);
    put(0x60, incompat, 4);
    return sb;
}

} // namespace

TEST_CASE("volume: the superblock says size, free space and whether it was unmounted cleanly", "[unit][volume]")
{
    auto clean = uk::volume::parse_ext4_superblock(superblock(256, 200, 1, 0));
    REQUIRE(clean);
    CHECK(clean->size_bytes == 256 * 4096);
    CHECK(clean->free_bytes == 200 * 4096);
    CHECK(clean->clean);
    CHECK_FALSE(uk::volume::parse_ext4_superblock(superblock(256, 200, 1, 0x4))->clean); // journal to replay
    CHECK_FALSE(uk::volume::parse_ext4_superblock(superblock(256, 200, 0, 0))->clean);   // mounted
    CHECK_FALSE(uk::volume::parse_ext4_superblock(superblock(256, 200, 3, 0))->clean);   // errors recorded
    auto not_ext4 = superblock(256, 200, 1, 0);
    not_ext4[0x38] = std::byte{0};
    CHECK(uk::volume::parse_ext4_superblock(not_ext4).error().message == "not an ext4 file system");
}

TEST_CASE("volume store: made sparse and clean, listed, inspected, removed", "[unit][volume]")
{
    uk::test::TempDir dir;
    Store store(dir / "volumes");
    CHECK(store.list().value().empty()); // no folder yet
    auto made = store.create("data", 64 * mib, std::nullopt, never);
    INFO((made ? "" : made.error().message));
    REQUIRE(made);
    CHECK(made->name == "data");
    CHECK(made->size_bytes == 64 * mib);
    CHECK(made->clean);
    CHECK(made->used_bytes < 2 * mib); // sparse: the journal and tables are not written out
    CHECK(made->created.size() == 20);
    CHECK(made->file == dir / "volumes/data/data.ext4");
    REQUIRE(store.create("another", 16 * mib, std::nullopt, never));
    CHECK(volume_names(store) == std::vector<std::string>{"another", "data"});
    CHECK(uk::test::names_in(dir / "volumes") == std::vector<std::string>{"another", "data"}); // no temporaries

    auto again = store.create("data", 64 * mib, std::nullopt, never);
    CHECK(again.error().message == "volume data already exists: see uk volume inspect data");
    CHECK(again.error().kind == uk::ErrorKind::unavailable);

    REQUIRE(store.remove("data"));
    CHECK(volume_names(store) == std::vector<std::string>{"another"});
    CHECK(uk::test::names_in(dir / "volumes") == std::vector<std::string>{"another"});
    CHECK(store.remove("data").error().kind == uk::ErrorKind::not_found);
    CHECK(store.inspect("data").error().message ==
          "no volume named data: see uk volume ls, or make it with uk volume create data");
}

TEST_CASE("volume store: names, sizes and --from are checked before anything is made", "[unit][volume]")
{
    uk::test::TempDir dir;
    Store store(dir / "volumes");
    CHECK(store.create("../up", 64 * mib, std::nullopt, never).error().kind == uk::ErrorKind::usage);
    CHECK(store.create("Data", 64 * mib, std::nullopt, never).error().kind == uk::ErrorKind::usage);
    CHECK(store.create("tiny", 8 * mib, std::nullopt, never).error().message ==
          "a volume's size must be from 16M to 16T, got 8M");
    CHECK(store.create("copy", 64 * mib, dir / "nowhere", never).error().message ==
          "--from " + (dir / "nowhere").string() + ": no such folder");
    CHECK(uk::test::names_in(dir / "volumes").empty());
}

TEST_CASE("volume store: --from fills it, and a failed make leaves nothing", "[unit][volume]")
{
    uk::test::TempDir dir;
    std::filesystem::create_directories(dir / "site/css");
    uk::test::write_text(dir / "site/index.html", "hello\n");
    Store store(dir / "volumes");
    auto made = store.create("site", 32 * mib, dir / "site", never);
    REQUIRE(made);
    auto listing = uk::test::run_tool({"debugfs", "-R", "ls -l /", made->file.string()});
    CHECK(listing.output.find("index.html") != std::string::npos);
    CHECK(listing.output.find("css") != std::string::npos);

    // mke2fs cannot put 20 MiB of files into 16 MiB: the error is its own, the volume never was.
    std::filesystem::create_directories(dir / "big");
    std::string data(20 * mib, 'x');
    uk::test::write_text(dir / "big/file", data);
    auto too_big = store.create("big", 16 * mib, dir / "big", never);
    REQUIRE_FALSE(too_big);
    CHECK(too_big.error().message.starts_with("mke2fs failed (status 1)"));
    CHECK(uk::test::names_in(dir / "volumes") == std::vector<std::string>{"site"});
}

TEST_CASE("volume lease: one writer or many readers, never both, and gone with its holder", "[unit][volume]")
{
    uk::test::TempDir dir;
    auto lock = dir / "lock";
    {
        auto writer = Lease::try_take(lock, Access::read_write);
        REQUIRE(writer);
        REQUIRE(*writer);
        CHECK_FALSE(Lease::try_take(lock, Access::read_write).value().has_value());
        CHECK_FALSE(Lease::try_take(lock, Access::read_only).value().has_value());
    }
    {
        auto reader = Lease::try_take(lock, Access::read_only);
        auto another = Lease::try_take(lock, Access::read_only);
        REQUIRE(reader);
        REQUIRE(another);
        CHECK(reader->has_value());
        CHECK(another->has_value());
        CHECK_FALSE(Lease::try_take(lock, Access::read_write).value().has_value());
    }
    CHECK(Lease::try_take(lock, Access::read_write).value().has_value()); // both readers gone
    CHECK(std::filesystem::exists(lock)); // the file stays with the volume
}

TEST_CASE("run mounts: checked, ordered parents first, missing volumes made, host folders absolute", "[unit][volume]")
{
    uk::test::TempDir dir;
    Store store(dir / "volumes");
    std::filesystem::create_directories(dir / "site");
    using uk::settings::MountSpec;
    std::vector<MountSpec> mounts{{MountSpec::Source::volume, "cache", "/data/cache", false},
                                  {MountSpec::Source::host_folder, "./site/", "/srv", true},
                                  {MountSpec::Source::volume, "data", "/data", false}};
    auto prepared = uk::app::prepare_mounts(mounts, store, dir.path(), true, never);
    REQUIRE(prepared);
    CHECK(volume_names(store).empty()); // a dry run makes nothing
    prepared = uk::app::prepare_mounts(mounts, store, dir.path(), false, never);
    REQUIRE(prepared);
    CHECK(volume_names(store) == std::vector<std::string>{"cache", "data"});
    REQUIRE(prepared->mounts.size() == 3);
    CHECK(prepared->mounts[0].target == "/data");
    CHECK(prepared->mounts[1].target == "/data/cache");
    CHECK(prepared->mounts[2].source == (dir / "site").string());
    REQUIRE(prepared->disks.size() == 2);
    CHECK(prepared->disks[0].file == store.data_file("data"));
    CHECK(prepared->disks[0].serial == "uk-vol0");
    CHECK(prepared->disks[1].serial == "uk-vol1");
    REQUIRE(prepared->shared_folders.size() == 1);
    CHECK(prepared->shared_folders[0].tag == "uk-share0");
    CHECK(prepared->shared_folders[0].read_only);
    REQUIRE(prepared->guest_mounts.size() == 3);
    CHECK(prepared->guest_mounts[2].device == "uk-share0");

    auto twice = uk::app::prepare_mounts({{MountSpec::Source::volume, "data", "/a", false},
                                          {MountSpec::Source::volume, "data", "/b", false}},
                                         store, dir.path(), false, never);
    CHECK(twice.error().message == "volume data is mounted twice: once is enough");
    auto missing = uk::app::prepare_mounts({{MountSpec::Source::host_folder, "./none", "/x", false}}, store,
                                           dir.path(), false, never);
    CHECK(missing.error().kind == uk::ErrorKind::not_found);
}

TEST_CASE("run mounts: a writer's volume is refused to another writer, with the holder's name", "[unit][volume]")
{
    uk::test::TempDir dir;
    Store store(dir / "volumes");
    uk::instance::Store instances(dir / "instances");
    REQUIRE(store.create("data", 16 * mib, std::nullopt, never));
    using uk::settings::MountSpec;
    std::vector<MountSpec> writes{{MountSpec::Source::volume, "data", "/data", false}};
    std::vector<MountSpec> reads{{MountSpec::Source::volume, "data", "/data", true}};
    REQUIRE(instances.create("first"));
    REQUIRE(instances.save({.name = "first", .mounts = writes}));

    auto held = uk::app::take_volumes(writes, store, instances, "first", never);
    REQUIRE(held);
    auto second = uk::app::take_volumes(writes, store, instances, "second", never);
    REQUIRE_FALSE(second);
    // "first" has no QEMU in this test, so it shows as the VM that is starting.
    CHECK(second.error().message == "volume data is in use: instance first writes to it: stop it first (uk instance "
                                    "stop first)");
    CHECK(second.error().kind == uk::ErrorKind::unavailable);
    CHECK_FALSE(uk::app::take_volumes(reads, store, instances, "third", never));
    CHECK(uk::app::remove_volume(store, instances, "data", true).error().message.starts_with(
        "cannot remove volume data while it is in use: "));
    held->clear();

    auto reader = uk::app::take_volumes(reads, store, instances, "third", never);
    auto another = uk::app::take_volumes(reads, store, instances, "fourth", never);
    CHECK(reader);
    CHECK(another);
    CHECK_FALSE(uk::app::take_volumes(writes, store, instances, "fifth", never));
}

TEST_CASE("run mounts: a volume left unclean is checked before it is attached", "[unit][volume]")
{
    uk::test::TempDir dir;
    Store store(dir / "volumes");
    uk::instance::Store instances(dir / "instances");
    REQUIRE(store.create("data", 16 * mib, std::nullopt, never));
    // What a killed VM leaves: the journal marked as needing recovery.
    auto tune = uk::test::run_tool({"debugfs", "-w", "-R", "feature needs_recovery", store.data_file("data").string()});
    INFO(tune.output);
    REQUIRE_FALSE(store.inspect("data")->clean);
    using uk::settings::MountSpec;
    auto held = uk::app::take_volumes({{MountSpec::Source::volume, "data", "/data", false}}, store, instances, "one",
                                      never);
    INFO((held ? "" : held.error().message));
    REQUIRE(held);
    CHECK(store.inspect("data")->clean);
}
