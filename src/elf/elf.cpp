#include "elf/elf.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <memory>
#include <string_view>
#include <unistd.h>

namespace uk::elf {
namespace {

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

using ElfHandle = std::unique_ptr<Elf, decltype(&elf_end)>;

std::string machine_name(GElf_Half machine)
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
                     fmt::format("{} is a script (#!{}), not an ELF executable: uk packs compiled x86-64 Linux "
                                 "programs; make the interpreter the program and the script its argument",
                                 name, line)};
    }
    if (head.empty())
        return Error{ErrorKind::invalid_input, fmt::format("{} is empty, not an ELF executable", name)};
    return Error{ErrorKind::invalid_input,
                 fmt::format("{} is not an ELF executable: uk packs compiled x86-64 Linux programs", name)};
}

// Maps a virtual address to a file offset through the PT_LOAD segments.
std::optional<GElf_Off> file_offset(Elf* elf, size_t phnum, GElf_Addr address)
{
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD && address >= ph.p_vaddr &&
            address < ph.p_vaddr + ph.p_filesz)
            return ph.p_offset + (address - ph.p_vaddr);
    }
    return std::nullopt;
}

std::vector<std::string> split_paths(std::string_view list)
{
    std::vector<std::string> out;
    while (true) {
        auto colon = list.find(':');
        auto item = list.substr(0, colon);
        if (!item.empty())
            out.emplace_back(item);
        if (colon == std::string_view::npos)
            return out;
        list.remove_prefix(colon + 1);
    }
}

struct DynamicInfo {
    std::vector<std::string> needed, rpath, runpath;
    bool pie_flag = false;
};

Result<DynamicInfo> read_dynamic(Elf* elf, size_t phnum, const GElf_Phdr& dynamic, const std::filesystem::path& path)
{
    DynamicInfo info;
    size_t file_size = 0;
    const char* raw = elf_rawfile(elf, &file_size);
    Elf_Data* data = elf_getdata_rawchunk(elf, static_cast<int64_t>(dynamic.p_offset), dynamic.p_filesz, ELF_T_DYN);
    if (!raw || !data)
        return fail(ErrorKind::invalid_input, "{} has a damaged dynamic section: {}", path.string(), elf_errmsg(-1));
    GElf_Addr strtab = 0;
    GElf_Xword strsz = 0;
    std::vector<GElf_Xword> needed_offsets, rpath_offsets, runpath_offsets;
    size_t count = dynamic.p_filesz / gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
    for (size_t i = 0; i < count; i++) {
        GElf_Dyn entry;
        if (!gelf_getdyn(data, static_cast<int>(i), &entry) || entry.d_tag == DT_NULL)
            break;
        switch (entry.d_tag) {
        case DT_STRTAB: strtab = entry.d_un.d_ptr; break;
        case DT_STRSZ: strsz = entry.d_un.d_val; break;
        case DT_NEEDED: needed_offsets.push_back(entry.d_un.d_val); break;
        case DT_RPATH: rpath_offsets.push_back(entry.d_un.d_val); break;
        case DT_RUNPATH: runpath_offsets.push_back(entry.d_un.d_val); break;
        case DT_FLAGS_1: info.pie_flag = (entry.d_un.d_val & DF_1_PIE) != 0; break;
        default: break;
        }
    }
    if (needed_offsets.empty() && rpath_offsets.empty() && runpath_offsets.empty())
        return info;
    auto table = file_offset(elf, phnum, strtab);
    if (!table || *table + strsz > file_size)
        return fail(ErrorKind::invalid_input, "{} has a damaged dynamic string table", path.string());
    auto string_at = [&](GElf_Xword offset) -> std::optional<std::string> {
        if (offset >= strsz)
            return std::nullopt;
        const char* start = raw + *table + offset;
        return std::string(start, strnlen(start, strsz - offset));
    };
    for (auto offset : needed_offsets) {
        auto name = string_at(offset);
        if (!name)
            return fail(ErrorKind::invalid_input, "{} has a damaged DT_NEEDED entry", path.string());
        info.needed.push_back(*name);
    }
    for (auto offset : rpath_offsets)
        if (auto list = string_at(offset))
            for (auto& item : split_paths(*list))
                info.rpath.push_back(item);
    for (auto offset : runpath_offsets)
        if (auto list = string_at(offset))
            for (auto& item : split_paths(*list))
                info.runpath.push_back(item);
    return info;
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

    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        return fail(ErrorKind::io, "cannot read {}: {}", name, std::strerror(errno));
    std::array<char, 256> head{};
    ssize_t got = ::pread(fd.get(), head.data(), head.size(), 0);
    std::string_view start(head.data(), got > 0 ? static_cast<size_t>(got) : 0);
    if (!start.starts_with("\177ELF"))
        return fail(describe_non_elf(path, start));

    elf_version(EV_CURRENT);
    ElfHandle elf(elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr), &elf_end);
    GElf_Ehdr header;
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF || !gelf_getehdr(elf.get(), &header))
        return fail(ErrorKind::invalid_input, "{} is a damaged ELF file: {}", name, elf_errmsg(-1));

    if (header.e_ident[EI_CLASS] != ELFCLASS64) {
        auto what = header.e_machine == EM_X86_64 ? std::string("32-bit x86-64 (x32)") : machine_name(header.e_machine);
        return fail(ErrorKind::invalid_input,
                    "{} is a 32-bit ELF program for {}: uk runs 64-bit x86-64 programs; rebuild it for x86-64", name,
                    what);
    }
    if (header.e_machine != EM_X86_64)
        return fail(ErrorKind::invalid_input,
                    "{} is an ELF program for {}, not x86-64: rebuild it for linux/amd64 (for Go: GOARCH=amd64)",
                    name, machine_name(header.e_machine));
    auto abi = header.e_ident[EI_OSABI];
    if (abi != ELFOSABI_NONE && abi != ELFOSABI_GNU)
        return fail(ErrorKind::invalid_input, "{} is built for another operating system (ELF OS/ABI {}), not Linux",
                    name, static_cast<int>(abi));
    if (header.e_type == ET_REL)
        return fail(ErrorKind::invalid_input, "{} is an object file (.o), not an executable: link it first", name);
    if (header.e_type == ET_CORE)
        return fail(ErrorKind::invalid_input, "{} is a core dump, not an executable", name);
    if (header.e_type != ET_EXEC && header.e_type != ET_DYN)
        return fail(ErrorKind::invalid_input, "{} is not an executable (ELF type {})", name, header.e_type);

    size_t phnum = 0;
    if (elf_getphdrnum(elf.get(), &phnum) != 0)
        return fail(ErrorKind::invalid_input, "{} is a damaged ELF file: {}", name, elf_errmsg(-1));
    Program program;
    std::optional<GElf_Phdr> dynamic;
    size_t file_size = 0;
    const char* raw = elf_rawfile(elf.get(), &file_size);
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf.get(), static_cast<int>(i), &ph))
            return fail(ErrorKind::invalid_input, "{} is a damaged ELF file: {}", name, elf_errmsg(-1));
        if (ph.p_type == PT_INTERP) {
            if (!raw || ph.p_offset + ph.p_filesz > file_size || ph.p_filesz == 0)
                return fail(ErrorKind::invalid_input, "{} has a damaged PT_INTERP segment", name);
            program.interpreter = std::string(raw + ph.p_offset, strnlen(raw + ph.p_offset, ph.p_filesz));
        } else if (ph.p_type == PT_DYNAMIC) {
            dynamic = ph;
        }
    }
    DynamicInfo info;
    if (dynamic) {
        auto read = read_dynamic(elf.get(), phnum, *dynamic, path);
        if (!read)
            return fail(read.error());
        info = std::move(*read);
    }
    if (program.interpreter) {
        program.linking = Linking::dynamic;
    } else if (header.e_type == ET_DYN) {
        if (!info.pie_flag)
            return fail(ErrorKind::invalid_input, "{} is a shared library, not an executable", name);
        program.linking = Linking::static_pie;
    }
    program.needed = std::move(info.needed);
    program.rpath = std::move(info.rpath);
    program.runpath = std::move(info.runpath);
    return program;
}

} // namespace uk::elf
