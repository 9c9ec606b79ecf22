#include "elf/object.hpp"

#include "core/files.hpp"

#include "core/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <memory>
#include <unistd.h>

namespace uk::elf {
namespace {

using ElfHandle = std::unique_ptr<Elf, decltype(&elf_end)>;

Error damaged(const std::filesystem::path& path, const char* what)
{
    return Error{ErrorKind::invalid_input, fmt::format("{} is a damaged ELF file ({})", path.string(), what)};
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

void split_paths(std::string_view list, std::vector<std::string>& out)
{
    while (true) {
        auto colon = list.find(':');
        auto item = list.substr(0, colon);
        if (!item.empty())
            out.emplace_back(item);
        if (colon == std::string_view::npos)
            return;
        list.remove_prefix(colon + 1);
    }
}

Status read_dynamic(Elf* elf, size_t phnum, const GElf_Phdr& dynamic, const std::filesystem::path& path,
                    ObjectInfo& info)
{
    size_t file_size = 0;
    const char* raw = elf_rawfile(elf, &file_size);
    Elf_Data* data = elf_getdata_rawchunk(elf, static_cast<int64_t>(dynamic.p_offset), dynamic.p_filesz, ELF_T_DYN);
    if (!raw || !data)
        return fail(damaged(path, "dynamic section"));
    GElf_Addr strtab = 0;
    GElf_Xword strsz = 0;
    std::vector<GElf_Xword> needed, rpath, runpath;
    std::optional<GElf_Xword> soname;
    size_t count = dynamic.p_filesz / gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
    for (size_t i = 0; i < count; i++) {
        GElf_Dyn entry;
        if (!gelf_getdyn(data, static_cast<int>(i), &entry) || entry.d_tag == DT_NULL)
            break;
        switch (entry.d_tag) {
        case DT_STRTAB: strtab = entry.d_un.d_ptr; break;
        case DT_STRSZ: strsz = entry.d_un.d_val; break;
        case DT_NEEDED: needed.push_back(entry.d_un.d_val); break;
        case DT_RPATH: rpath.push_back(entry.d_un.d_val); break;
        case DT_RUNPATH: runpath.push_back(entry.d_un.d_val); break;
        case DT_SONAME: soname = entry.d_un.d_val; break;
        case DT_FLAGS_1: info.pie_flag = (entry.d_un.d_val & DF_1_PIE) != 0; break;
        default: break;
        }
    }
    if (needed.empty() && rpath.empty() && runpath.empty() && !soname)
        return {};
    auto table = file_offset(elf, phnum, strtab);
    if (!table || *table + strsz > file_size)
        return fail(damaged(path, "dynamic string table"));
    auto string_at = [&](GElf_Xword offset) -> Result<std::string> {
        if (offset >= strsz)
            return fail(damaged(path, "dynamic string offset"));
        const char* start = raw + *table + offset;
        return std::string(start, strnlen(start, strsz - offset));
    };
    for (auto offset : needed) {
        auto name = string_at(offset);
        if (!name)
            return fail(name.error());
        info.needed.push_back(*name);
    }
    for (auto [offsets, out] : {std::pair{&rpath, &info.rpath}, std::pair{&runpath, &info.runpath}})
        for (auto offset : *offsets) {
            auto list = string_at(offset);
            if (!list)
                return fail(list.error());
            split_paths(*list, *out);
        }
    if (soname) {
        auto name = string_at(*soname);
        if (!name)
            return fail(name.error());
        info.soname = *name;
    }
    return {};
}

// Undefined symbols of .dynsym, through the section headers (absent from some stripped
// files, in which case there are simply none to report).
void read_imports(Elf* elf, ObjectInfo& info)
{
    Elf_Scn* section = nullptr;
    while ((section = elf_nextscn(elf, section)) != nullptr) {
        GElf_Shdr header;
        if (!gelf_getshdr(section, &header) || header.sh_type != SHT_DYNSYM || header.sh_entsize == 0)
            continue;
        Elf_Data* data = elf_getdata(section, nullptr);
        if (!data)
            return;
        size_t count = header.sh_size / header.sh_entsize;
        for (size_t i = 1; i < count; i++) {
            GElf_Sym symbol;
            if (!gelf_getsym(data, static_cast<int>(i), &symbol) || symbol.st_shndx != SHN_UNDEF)
                continue;
            if (const char* name = elf_strptr(elf, header.sh_link, symbol.st_name); name && *name)
                info.imports.emplace_back(name);
        }
    }
}

} // namespace

std::string file_head(const std::filesystem::path& path, std::size_t bytes)
{
    return read_file_prefix(path, bytes).value_or("");
}

bool is_for(const ObjectInfo& info, Arch arch)
{
    return info.elf_class == ELFCLASS64 && info.machine == (arch == Arch::arm64 ? EM_AARCH64 : EM_X86_64);
}

Result<ObjectInfo> read_object(const std::filesystem::path& path)
{
    auto opened = open_regular_file(path);
    if (!opened)
        return fail(opened.error());
    const auto& fd = *opened;
    elf_version(EV_CURRENT);
    ElfHandle elf(elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr), &elf_end);
    GElf_Ehdr header;
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF || !gelf_getehdr(elf.get(), &header))
        return fail(ErrorKind::invalid_input, "{} is not an ELF file", path.string());
    ObjectInfo info;
    info.elf_class = header.e_ident[EI_CLASS];
    info.machine = header.e_machine;
    info.os_abi = header.e_ident[EI_OSABI];
    info.type = header.e_type;
    size_t phnum = 0;
    if (elf_getphdrnum(elf.get(), &phnum) != 0)
        return fail(damaged(path, "program headers"));
    size_t file_size = 0;
    const char* raw = elf_rawfile(elf.get(), &file_size);
    // Found here, at build time, not as a guest that cannot start its program: a file cut
    // short (a partial download, a copy that ran out of space) still has a whole header.
    std::size_t declared = header.e_phnum == PN_XNUM ? phnum : header.e_phnum; // libelf may see fewer
    if (header.e_phoff > file_size || std::max(declared, phnum) * header.e_phentsize > file_size - header.e_phoff)
        return fail(damaged(path, "its program headers go past the end of the file: cut short?"));
    bool loadable = false;
    std::optional<GElf_Phdr> dynamic;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf.get(), static_cast<int>(i), &ph))
            return fail(damaged(path, "program header"));
        if (ph.p_filesz > 0 && (ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset))
            return fail(damaged(path, "a segment goes past the end of the file: cut short?"));
        loadable = loadable || ph.p_type == PT_LOAD;
        if (ph.p_type == PT_INTERP) {
            if (!raw || ph.p_offset + ph.p_filesz > file_size || ph.p_filesz == 0)
                return fail(damaged(path, "PT_INTERP"));
            info.interpreter = std::string(raw + ph.p_offset, strnlen(raw + ph.p_offset, ph.p_filesz));
        } else if (ph.p_type == PT_DYNAMIC) {
            dynamic = ph;
        }
    }
    info.loadable = loadable;
    if (dynamic)
        if (auto read = read_dynamic(elf.get(), phnum, *dynamic, path, info); !read)
            return fail(read.error());
    read_imports(elf.get(), info);
    return info;
}

} // namespace uk::elf
