// Temporaries of killed uk runs are found and removed; those of live ones, and locks held,
// are not.
#include "core/file_lock.hpp"
#include "core/files.hpp"
#include "core/temporary_files.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// A pid that does not run any more.
pid_t dead_pid()
{
    pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return child;
}

} // namespace

TEST_CASE("temporary files: a killed maker's are stale, a live one's and unrelated files are not", "[unit][core]")
{
    uk::test::TempDir dir;
    auto dead = dir / (".web.img.uk-tmp." + std::to_string(dead_pid()) + ".aB3xYz");
    auto mine = dir / (".web.img.uk-tmp." + std::to_string(::getpid()) + ".aB3xYz");
    auto parent = dir / (".web.img.uk-tmp." + std::to_string(::getppid()) + ".raw");
    for (const auto& file : {dead, mine, parent, dir / "web.img", dir / ".hidden", dir / "x.uk-tmp.1.y"})
        uk::test::write_text(file, "x");
    CHECK(uk::stale_temporaries(dir.path()) == std::vector<std::filesystem::path>{dead});
    uk::remove_stale_temporaries(dir.path());
    CHECK_FALSE(std::filesystem::exists(dead));
    CHECK(std::filesystem::exists(mine));
    CHECK(std::filesystem::exists(parent));
    CHECK(std::filesystem::exists(dir / "web.img"));
    CHECK(uk::temporary_pattern(dir / "web.img") ==
          (dir / (".web.img.uk-tmp." + std::to_string(::getpid()) + ".XXXXXX")).string());
}

TEST_CASE("temporary files: an atomic write leaves only its file, an abandoned one nothing", "[unit][core]")
{
    uk::test::TempDir dir;
    REQUIRE(uk::write_file_atomically(dir / "a.json", uk::as_bytes("{}")));
    {
        auto abandoned = uk::AtomicFile::create(dir / "b.json");
        REQUIRE(abandoned);
    }
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        names.push_back(entry.path().filename().string());
    CHECK(names == std::vector<std::string>{"a.json"});
}

TEST_CASE("file lock: one holder at a time, the lock file goes with the holder, an unheld one is stale",
          "[unit][core]")
{
    uk::test::TempDir dir;
    auto lock_file = uk::lock_file_for(dir / "web.img");
    CHECK(lock_file == dir / ".web.img.uk-lock");
    {
        auto first = uk::FileLock::try_acquire(lock_file);
        REQUIRE(first);
        REQUIRE(*first);
        // flock is per open file: a second open in this process is refused like another uk.
        auto second = uk::FileLock::try_acquire(lock_file);
        REQUIRE(second);
        CHECK_FALSE(*second);
        CHECK(uk::stale_temporaries(dir.path()).empty());
    }
    CHECK_FALSE(std::filesystem::exists(lock_file));
    uk::test::write_text(lock_file, ""); // what a killed holder leaves
    CHECK(uk::stale_temporaries(dir.path()) == std::vector<std::filesystem::path>{lock_file});
    uk::remove_stale_temporaries(dir.path());
    CHECK_FALSE(std::filesystem::exists(lock_file));
}
