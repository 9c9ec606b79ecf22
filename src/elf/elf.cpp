#include "elf/elf.hpp"

#include "elf/object.hpp"

#include <gelf.h>
#include <string_view>

namespace uk::elf {
namespace {

std::string machine_name(int machine)
{
    switch (machine) {
    case EM_386: return "32-bit x86 (i386)";
    case EM_ARM: return "32-bit ARM";
    case EM_AARCH64: return "AArch64 (ARM64)";
    case EM_RISCV: return "RISC-V";
    case EM_PPC64: return "PowerPC 64";
    case EM_S390: return "s390x";
    case EM_MIPS: return "MIPS";
    case EM_LOONGARCH: return "LoongArch";
    default: return "machine type " + std::to_string(machine);
    }
}

// A file that is not ELF: say what it looks like instead.
Error describe_non_elf(const std::filesystem::path& path, std::string_view head)
{
    auto name = path.string();
    if (head.starts_with("#!")) {
        auto end = head.find('\n');
        auto line = std::string(head.substr(2, end == std::string_view::npos ? head.size() - 2 : end - 2));
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.pop_back();
        return Error{ErrorKind::invalid_input,
                     fmt::format("{} is a script (#!{}), not an ELF executable: uk packs compiled Linux "
                                 "programs; make the interpreter the program and the script its argument",
                                 name, line)};
    }
    if (head.empty())
        return Error{ErrorKind::invalid_input, fmt::format("{} is empty, not an ELF executable", name)};
    return Error{ErrorKind::invalid_input,
                 fmt::format("{} is not an ELF executable: uk packs compiled x86-64 and arm64 Linux programs", name)};
}

} // namespace

Result<Program> inspect_program(const std::filesystem::path& path)
{
    auto name = path.string();
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status))
        return fail(ErrorKind::not_found, "program {} does not exist", name);
    if (std::filesystem::is_directory(status))
        return fail(ErrorKind::invalid_input, "{} is a folder, not a program", name);
    if (!std::filesystem::is_regular_file(status))
        return fail(ErrorKind::invalid_input, "{} is not a regular file", name);
    auto head = file_head(path, 256);
    if (!head.starts_with("\177ELF"))
        return fail(describe_non_elf(path, head));

    auto object = read_object(path);
    if (!object)
        return fail(object.error());
    if (object->elf_class != ELFCLASS64) {
        auto what = object->machine == EM_X86_64 ? std::string("32-bit x86-64 (x32)") : machine_name(object->machine);
        return fail(ErrorKind::invalid_input,
                    "{} is a 32-bit ELF program for {}: uk runs 64-bit x86-64 and arm64 programs; rebuild it for "
                    "linux/amd64 or linux/arm64",
                    name, what);
    }
    if (object->machine != EM_X86_64 && object->machine != EM_AARCH64)
        return fail(ErrorKind::invalid_input,
                    "{} is an ELF program for {}, not x86-64 or arm64: rebuild it for linux/amd64 or linux/arm64 (for "
                    "Go: GOARCH=amd64 or arm64)",
                    name, machine_name(object->machine));
    if (object->os_abi != ELFOSABI_NONE && object->os_abi != ELFOSABI_GNU)
        return fail(ErrorKind::invalid_input, "{} is built for another operating system (ELF OS/ABI {}), not Linux",
                    name, object->os_abi);
    if (object->type == ET_REL)
        return fail(ErrorKind::invalid_input, "{} is an object file (.o), not an executable: link it first", name);
    if (object->type == ET_CORE)
        return fail(ErrorKind::invalid_input, "{} is a core dump, not an executable", name);
    if (object->type != ET_EXEC && object->type != ET_DYN)
        return fail(ErrorKind::invalid_input, "{} is not an executable (ELF type {})", name, object->type);

    if (!object->loadable)
        return fail(ErrorKind::invalid_input, "{} is a damaged ELF file (nothing to load: no PT_LOAD segment)", name);

    Program program;
    program.arch = object->machine == EM_AARCH64 ? Arch::arm64 : Arch::amd64;
    program.interpreter = object->interpreter;
    if (program.interpreter) {
        program.linking = Linking::dynamic;
    } else if (object->type == ET_DYN) {
        if (!object->pie_flag)
            return fail(ErrorKind::invalid_input, "{} is a shared library, not an executable", name);
        program.linking = Linking::static_pie;
    }
    program.needed = std::move(object->needed);
    program.rpath = std::move(object->rpath);
    program.runpath = std::move(object->runpath);
    return program;
}

} // namespace uk::elf
