// Everything a dynamically linked program loads at start: its loader (PT_INTERP) and the
// transitive closure of DT_NEEDED, found the way glibc's ld.so searches: DT_RPATH (when
// there is no DT_RUNPATH), DT_RUNPATH, the directories of /etc/ld.so.conf, then the
// default directories. $ORIGIN is the folder of the object asking.
#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uk::elf {

// A file for the image: read from `host` (symlinks already resolved), placed at `guest`.
struct PackedFile {
    std::filesystem::path host;
    std::string guest;
    std::string why; // "loader", "needed by /node", ...
};

struct Closure {
    std::optional<PackedFile> interpreter;
    std::vector<PackedFile> libraries; // in the order the loader would find them
    // Guest folders of libraries found outside the loader's default folders (through
    // ld.so.conf): the image has no ld.so.cache, so the program is told with
    // LD_LIBRARY_PATH.
    std::vector<std::string> extra_library_dirs;
    bool uses_glibc = false;
    bool uses_name_service = false; // imports getaddrinfo, getpwnam and the like
};

struct ClosureOptions {
    // Where libraries come from: "/" (this machine) or another root file system.
    std::filesystem::path sysroot = "/";
    // Where the program sits in the guest, for its $ORIGIN.
    std::string program_guest_path;
    // The program's: only libraries of its machine are taken, from its folders.
    Arch arch = Arch::amd64;
};

Result<Closure> resolve_closure(const std::filesystem::path& program, const ClosureOptions& options);

// A path inside `root` with every symlink resolved as if `root` were "/": absolute
// targets stay inside it. Empty when a component does not exist.
std::optional<std::filesystem::path> resolve_in_root(const std::filesystem::path& root, const std::string& path);

} // namespace uk::elf
