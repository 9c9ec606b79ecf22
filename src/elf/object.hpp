// What the dynamic loader reads from an ELF file, read with libelf.
#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uk::elf {

struct ObjectInfo {
    int elf_class = 0;     // ELFCLASS32 or ELFCLASS64
    int machine = 0;       // EM_X86_64, ...
    int os_abi = 0;
    int type = 0;          // ET_EXEC, ET_DYN, ...
    bool pie_flag = false; // DF_1_PIE
    bool loadable = false; // has a PT_LOAD segment
    std::optional<std::string> interpreter; // PT_INTERP
    std::optional<std::string> soname;      // DT_SONAME
    std::vector<std::string> needed;        // DT_NEEDED, in order
    std::vector<std::string> rpath;         // DT_RPATH entries, unexpanded
    std::vector<std::string> runpath;       // DT_RUNPATH entries, unexpanded
    std::vector<std::string> imports;       // undefined symbols of .dynsym
};

// Errors: not_found, io, or invalid_input for a file that is not ELF or is damaged.
Result<ObjectInfo> read_object(const std::filesystem::path& path);

// A 64-bit object for this architecture's machine (x86-64 or AArch64).
bool is_for(const ObjectInfo& info, Arch arch);

// First bytes of a file, to tell ELF from scripts and other files.
std::string file_head(const std::filesystem::path& path, std::size_t bytes);

} // namespace uk::elf
