// The libraries uk packs for a dynamic program, compared with what ldd (the host's own
// loader) reports for the same program.
#include "elf/closure.hpp"
#include "support/environment.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <sstream>

using uk::elf::resolve_closure;

namespace {

// name => path for every library ldd lists, plus the loader under its PT_INTERP path.
std::map<std::string, std::string> ldd(const std::string& program)
{
    auto result = uk::test::run_tool({"ldd", program});
    REQUIRE(result.status == 0);
    std::map<std::string, std::string> libraries;
    std::istringstream lines(result.output);
    static const std::regex mapped(R"(^\s*(\S+) => (\S+) \(0x[0-9a-f]+\))");
    static const std::regex loader(R"(^\s*(/\S+) \(0x[0-9a-f]+\))");
    for (std::string line; std::getline(lines, line);) {
        std::smatch match;
        if (std::regex_search(line, match, mapped))
            libraries[match[1]] = match[2];
        else if (std::regex_search(line, match, loader))
            libraries["loader"] = match[1];
    }
    return libraries;
}

std::map<std::string, std::string> closure_of(const std::string& program)
{
    auto closure = resolve_closure(program, {.sysroot = "/", .program_guest_path = "/program"});
    REQUIRE(closure);
    std::map<std::string, std::string> libraries;
    REQUIRE(closure->interpreter);
    libraries["loader"] = closure->interpreter->guest;
    for (const auto& library : closure->libraries)
        libraries[std::filesystem::path(library.guest).filename().string()] = library.guest;
    return libraries;
}

} // namespace

TEST_CASE("closure: the same libraries at the same paths as ldd, for real programs", "[unit][elf]")
{
    for (const char* program : {"/bin/ls", "/usr/sbin/sfdisk", "/usr/bin/node"}) {
        INFO(program);
        auto ours = closure_of(program);
        auto theirs = ldd(program);
        for (const auto& [name, path] : theirs) {
            INFO(name);
            REQUIRE(ours.contains(name));
            CHECK(ours[name] == path);
        }
        // Anything more is an NSS module, loaded by glibc at run time, never by ldd.
        for (const auto& [name, path] : ours)
            if (!theirs.contains(name))
                CHECK(name.starts_with("libnss_"));
    }
}

TEST_CASE("closure: a program that looks names up gets the NSS modules, one that does not, none", "[unit][elf]")
{
    auto node = resolve_closure("/usr/bin/node", {.program_guest_path = "/node"}); // libuv: getaddrinfo
    REQUIRE(node);
    CHECK(node->uses_glibc);
    CHECK(node->uses_name_service);
    std::set<std::string> names;
    for (const auto& library : node->libraries)
        names.insert(std::filesystem::path(library.guest).filename().string());
    CHECK(names.contains("libnss_files.so.2"));
    CHECK(names.contains("libnss_dns.so.2"));
    for (const auto& library : node->libraries)
        if (library.guest.find("libnss_") != std::string::npos)
            CHECK(library.why == "loaded by glibc for name lookups");

    auto needs_lib = resolve_closure(UK_TEST_NEEDS_LIB, {.program_guest_path = "/needs-lib"});
    REQUIRE(needs_lib);
    CHECK(needs_lib->uses_glibc);
    CHECK_FALSE(needs_lib->uses_name_service);
    for (const auto& library : needs_lib->libraries)
        CHECK_FALSE(library.guest.find("libnss_") != std::string::npos);
}

TEST_CASE("closure: $ORIGIN follows the program to where it sits in the guest", "[unit][elf]")
{
    auto closure = resolve_closure(UK_TEST_NEEDS_LIB, {.program_guest_path = "/needs-lib"});
    REQUIRE(closure);
    REQUIRE_FALSE(closure->libraries.empty());
    const auto& own = closure->libraries.front();
    CHECK(own.guest == "/lib/libuktest.so.1");
    CHECK(own.host == std::filesystem::canonical(std::filesystem::path(UK_TEST_NEEDS_LIB).parent_path() / "lib/libuktest.so.1"));
    CHECK(own.why == "needed by " + std::string(UK_TEST_NEEDS_LIB));

    auto elsewhere = resolve_closure(UK_TEST_NEEDS_LIB, {.program_guest_path = "/opt/app/bin/tool"});
    REQUIRE(elsewhere);
    CHECK(elsewhere->libraries.front().guest == "/opt/app/bin/lib/libuktest.so.1");
}

TEST_CASE("closure: a missing library names itself, who needs it and where uk looked", "[unit][elf]")
{
    uk::test::TempDir dir;
    std::filesystem::copy_file(UK_TEST_NEEDS_LIB, dir / "needs-lib");
    auto closure = resolve_closure(dir / "needs-lib", {.program_guest_path = "/needs-lib"});
    REQUIRE_FALSE(closure);
    CHECK(closure.error().kind == uk::ErrorKind::not_found);
    const auto& message = closure.error().message;
    CHECK(message.starts_with("cannot find libuktest.so.1, needed by " + (dir / "needs-lib").string() +
                              ": looked on this machine in " + (dir / "lib").string() + " (RUNPATH), "));
    CHECK(message.find(", /lib64, /usr/lib64, /lib, /usr/lib;") != std::string::npos);
    CHECK(message.ends_with("; install it, or give --sysroot, or add it to the image yourself"));
}

TEST_CASE("closure: symlinks inside a sysroot resolve inside it, even absolute ones", "[unit][elf]")
{
    uk::test::TempDir root;
    std::filesystem::create_directories(root / "usr/lib/x86_64-linux-gnu");
    std::filesystem::create_directories(root / "lib64");
    std::filesystem::create_directory_symlink("usr/lib", root / "lib");
    uk::test::write_text(root / "usr/lib/x86_64-linux-gnu/ld-2.99.so", "loader");
    std::filesystem::create_symlink("/lib/x86_64-linux-gnu/ld-2.99.so", root / "lib64/ld-linux-x86-64.so.2");
    auto loader = uk::elf::resolve_in_root(root.path(), "/lib64/ld-linux-x86-64.so.2");
    REQUIRE(loader);
    CHECK(*loader == root / "usr/lib/x86_64-linux-gnu/ld-2.99.so");
    CHECK_FALSE(uk::elf::resolve_in_root(root.path(), "/lib64/missing.so"));
    std::filesystem::create_symlink("/../../../etc/passwd", root / "escape");
    auto escape = uk::elf::resolve_in_root(root.path(), "/escape");
    CHECK_FALSE(escape); // /etc/passwd of the sysroot, which does not exist: never the host's
}

TEST_CASE("closure: with a sysroot, libraries come from it, not from this machine", "[unit][elf]")
{
    uk::test::TempDir root;
    auto closure = resolve_closure("/bin/ls", {.sysroot = root.path(), .program_guest_path = "/ls"});
    REQUIRE_FALSE(closure);
    CHECK(closure.error().message == "/bin/ls needs the loader /lib64/ld-linux-x86-64.so.2, which is not under the "
                                     "sysroot " + root.path().string() + ": install its C library");

    // A sysroot made of this machine's own libraries, through a symlinked /lib as Debian has.
    std::filesystem::create_directories(root / "usr/lib/x86_64-linux-gnu");
    std::filesystem::create_directories(root / "lib64");
    std::filesystem::create_directory_symlink("usr/lib", root / "lib");
    for (const auto& [name, path] : ldd("/bin/ls")) {
        if (name == "loader")
            continue;
        std::filesystem::copy_file(std::filesystem::canonical(path), root / "usr/lib/x86_64-linux-gnu" / name);
    }
    std::filesystem::copy_file(std::filesystem::canonical("/lib64/ld-linux-x86-64.so.2"),
                               root / "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    std::filesystem::create_symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", root / "lib64/ld-linux-x86-64.so.2");
    auto from_root = resolve_closure("/bin/ls", {.sysroot = root.path(), .program_guest_path = "/ls"});
    REQUIRE(from_root);
    CHECK(from_root->interpreter->host == root / "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    for (const auto& library : from_root->libraries)
        CHECK(library.host.string().starts_with(root.path().string()));
}

TEST_CASE("closure: an ld.so.conf that exists but cannot be read is an error naming it", "[unit][elf]")
{
    uk::test::TempDir root;
    std::filesystem::permissions(root.path(), std::filesystem::perms(0755));
    std::filesystem::create_directories(root / "etc");
    uk::test::write_text(root / "etc/ld.so.conf", "/opt/lib\n");
    std::filesystem::permissions(root / "etc/ld.so.conf", std::filesystem::perms::none);
    // As root every file reads, so the check runs as an ordinary user there.
    auto answer = uk::test::as_unprivileged_user([&] {
        auto closure = resolve_closure("/bin/ls", {.sysroot = root.path(), .program_guest_path = "/ls"});
        return closure ? std::string("resolved") : closure.error().message;
    });
    CHECK(answer == "cannot read " + (root / "etc/ld.so.conf").string() +
                        ", which says where the loader looks for libraries: Permission denied");
}
