// What kind of program a file is, read with libelf: uk takes x86-64 and arm64 Linux ELF
// executables, and says precisely what a file is when it is something else.
#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uk::elf {

enum class Linking {
    static_executable, // ET_EXEC without an interpreter (Go with CGO off, musl -static)
    static_pie,        // ET_DYN marked DF_1_PIE without an interpreter
    dynamic,           // has PT_INTERP: needs its loader and shared libraries
};

struct Program {
    Arch arch = Arch::amd64; // from the ELF machine: x86-64 or AArch64
    Linking linking = Linking::static_executable;
    std::optional<std::string> interpreter; // PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2
    std::vector<std::string> needed;        // DT_NEEDED, in order
    std::vector<std::string> rpath;         // DT_RPATH entries, $ORIGIN unexpanded
    std::vector<std::string> runpath;       // DT_RUNPATH entries, $ORIGIN unexpanded
};

// Reads path as a program. Errors are invalid_input (or not_found) and their message
// names the file, what it is instead, and what to do.
Result<Program> inspect_program(const std::filesystem::path& path);

} // namespace uk::elf
