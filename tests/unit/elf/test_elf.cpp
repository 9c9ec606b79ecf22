#include "elf/elf.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <vector>

using uk::elf::inspect_program;
using uk::elf::Linking;
using uk::test::TempDir;

namespace {

// A bare ELF header: enough for libelf to read what kind of file this is.
std::string elf_header(unsigned char elf_class, std::uint16_t type, std::uint16_t machine)
{
    std::string bytes(elf_class == 2 ? 64 : 52, '\0');
    const unsigned char ident[] = {0x7f, 'E', 'L', 'F', elf_class, 1, 1, 0};
    std::memcpy(bytes.data(), ident, sizeof ident);
    std::memcpy(bytes.data() + 16, &type, 2);
    std::memcpy(bytes.data() + 18, &machine, 2);
    std::uint32_t version = 1;
    std::memcpy(bytes.data() + 20, &version, 4);
    std::uint16_t header_size = static_cast<std::uint16_t>(bytes.size());
    std::memcpy(bytes.data() + (elf_class == 2 ? 52 : 40), &header_size, 2);
    return bytes;
}

std::filesystem::path write_file(const TempDir& dir, const std::string& name, const std::string& bytes)
{
    auto path = dir / name;
    uk::test::write_text(path, bytes);
    std::filesystem::permissions(path, std::filesystem::perms(0755));
    return path;
}

std::string error_of(const std::filesystem::path& path)
{
    auto result = inspect_program(path);
    REQUIRE_FALSE(result);
    return result.error().message;
}

} // namespace

TEST_CASE("elf: a static Go server is a static executable", "[unit][elf]")
{
    auto program = inspect_program(UK_TEST_GO_SERVER);
    REQUIRE(program);
    CHECK(program->linking == Linking::static_executable);
    CHECK_FALSE(program->interpreter);
    CHECK(program->needed.empty());
}

TEST_CASE("elf: a static musl program is a static executable", "[unit][elf]")
{
    auto program = inspect_program(UK_TEST_PROBE);
    REQUIRE(program);
    CHECK(program->linking == Linking::static_executable);
}

TEST_CASE("elf: a program's ELF machine gives its architecture", "[unit][elf]")
{
    auto amd64 = inspect_program(UK_TEST_GO_SERVER);
    auto arm64 = inspect_program(UK_TEST_GO_SERVER_ARM64);
    auto arm64_musl = inspect_program(UK_TEST_PROBE_ARM64);
    REQUIRE(amd64);
    REQUIRE(arm64);
    REQUIRE(arm64_musl);
    CHECK(amd64->arch == uk::Arch::amd64);
    CHECK(arm64->arch == uk::Arch::arm64);
    CHECK(arm64->linking == Linking::static_executable);
    CHECK(arm64_musl->arch == uk::Arch::arm64);
}

TEST_CASE("elf: a dynamically linked program names its loader and libraries", "[unit][elf]")
{
    auto program = inspect_program("/bin/ls");
    REQUIRE(program);
    CHECK(program->linking == Linking::dynamic);
    CHECK(program->interpreter == "/lib64/ld-linux-x86-64.so.2");
    CHECK(std::find(program->needed.begin(), program->needed.end(), "libc.so.6") != program->needed.end());
}

TEST_CASE("elf: what is not an x86-64 or arm64 executable is named for what it is", "[unit][elf]")
{
    TempDir dir;
    CHECK(error_of(write_file(dir, "notes.txt", "hello\n")) ==
          (dir / "notes.txt").string() + " is not an ELF executable: uk packs compiled x86-64 and arm64 Linux programs");
    CHECK(error_of(write_file(dir, "empty", "")) == (dir / "empty").string() + " is empty, not an ELF executable");
    CHECK(error_of(write_file(dir, "run.sh", "#!/bin/sh -e\necho hi\n")) ==
          (dir / "run.sh").string() +
              " is a script (#!/bin/sh -e), not an ELF executable: uk packs compiled Linux programs; make the "
              "interpreter the program and the script its argument");
    CHECK(error_of(write_file(dir, "i386", elf_header(1, 2, 3))) ==
          (dir / "i386").string() +
              " is a 32-bit ELF program for 32-bit x86 (i386): uk runs 64-bit x86-64 and arm64 programs; rebuild it "
              "for linux/amd64 or linux/arm64");
    CHECK(error_of(write_file(dir, "riscv", elf_header(2, 2, 243))) ==
          (dir / "riscv").string() +
              " is an ELF program for RISC-V, not x86-64 or arm64: rebuild it for linux/amd64 or linux/arm64 (for Go: "
              "GOARCH=amd64 or arm64)");
    CHECK(error_of(write_file(dir, "thing.o", elf_header(2, 1, 62))) ==
          (dir / "thing.o").string() + " is an object file (.o), not an executable: link it first");
    CHECK(error_of(write_file(dir, "core", elf_header(2, 4, 62))) == (dir / "core").string() + " is a core dump, not an executable");
    CHECK(error_of(dir / "missing") == "program " + (dir / "missing").string() + " does not exist");
    CHECK(error_of(dir.path()) == dir.path().string() + " is a folder, not a program");
}

TEST_CASE("elf: a shared library is not a program", "[unit][elf]")
{
    // libz is a shared object without an interpreter or the PIE flag.
    std::filesystem::path library = "/usr/lib/x86_64-linux-gnu/libz.so.1";
    REQUIRE(std::filesystem::exists(library));
    CHECK(error_of(library) == library.string() + " is a shared library, not an executable");
}

TEST_CASE("elf: errors are typed: missing files are not_found, the rest invalid_input", "[unit][elf]")
{
    TempDir dir;
    auto missing = inspect_program(dir / "missing");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == uk::ErrorKind::not_found);
    auto text = inspect_program(write_file(dir, "notes.txt", "hello"));
    REQUIRE_FALSE(text);
    CHECK(text.error().kind == uk::ErrorKind::invalid_input);
}

TEST_CASE("elf: a program cut short, or with a header that counts 0xffff program headers, is damaged", "[unit][elf]")
{
    TempDir dir;
    auto whole = uk::test::read_text(UK_TEST_GO_SERVER);
    auto cut = write_file(dir, "cut", whole.substr(0, whole.size() / 2));
    CHECK(error_of(cut) == cut.string() + " is a damaged ELF file (a segment goes past the end of the file: cut short?)");
    auto head = write_file(dir, "head", whole.substr(0, 100));
    CHECK(error_of(head) ==
          head.string() + " is a damaged ELF file (its program headers go past the end of the file: cut short?)");

    auto header = elf_header(2, 2, 62); // x86-64 ET_EXEC
    std::uint64_t phoff = 64;
    std::uint16_t phentsize = 56, phnum = 0xffff;
    std::memcpy(header.data() + 32, &phoff, 8);
    std::memcpy(header.data() + 54, &phentsize, 2);
    std::memcpy(header.data() + 56, &phnum, 2);
    auto counted = write_file(dir, "counted", header);
    auto message = error_of(counted);
    CHECK(message.starts_with(counted.string() + " is a damaged ELF file ("));
}
