// uk run --missing-files: which of strace's lines name a file the program lacked.
#include "app/missing_files.hpp"

#include <catch2/catch.hpp>

TEST_CASE("missing files: failed file calls of the program, each once, without the loader's search", "[unit][app]")
{
    uk::app::MissingFiles missing;
    for (const char* line : {
             R"(openat(AT_FDCWD, "/etc/app/config.toml", O_RDONLY) = -1 ENOENT (No such file or directory))",
             R"([pid    42] newfstatat(AT_FDCWD, "/usr/share/zoneinfo/UTC", 0x7ffd, 0) = -1 ENOENT (No such file or directory))",
             R"(openat(AT_FDCWD, "/etc/app/config.toml", O_RDONLY) = -1 ENOENT (No such file or directory))",
             R"(openat(AT_FDCWD, "//lib/glibc-hwcaps/x86-64-v3/libuktest.so.1", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory))",
             R"(openat(AT_FDCWD, "/lib/x86_64-linux-gnu/tls/libc.so.6", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory))",
             R"(openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory))",
             R"(openat(AT_FDCWD, "/proc/self/cgroup", O_RDONLY) = -1 ENOENT (No such file or directory))",
             R"(openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 3)",
             R"(access("/etc/app/extra.conf", R_OK) = -1 EACCES (Permission denied))",
             R"(openat(AT_FDCWD, "relative.txt", O_RDONLY) = -1 ENOENT (No such file or directory))",
             R"(openat(AT_FDCWD, "/a/very/long/path"..., O_RDONLY) = -1 ENOENT (No such file or directory))",
             "probe: cannot read /etc/app/config.toml: No such file or directory",
         })
        missing.see(line);
    CHECK(missing.paths() == std::vector<std::string>{"/etc/app/config.toml", "/usr/share/zoneinfo/UTC"});
}
