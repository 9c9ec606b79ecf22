// From a program on the host to a bootable uk image: what goes into the root (the
// program and what it loads, the files the user asked for, uk-init, the manifest, /etc)
// and where it is written.
#pragma once

#include "core/error.hpp"
#include "image/disk.hpp"
#include "image/file_tree.hpp"
#include "image/squashfs.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace uk::image {

// The user's own files, with ops's semantics (docs/config.md): Files and Dirs keep their
// path (relative ones start at the root), MapDirs put a folder's contents, or a glob's
// matches, into a guest folder.
struct Contents {
    std::filesystem::path base_dir = "."; // relative paths start here
    std::vector<std::string> files;
    std::vector<std::string> dirs;
    std::vector<std::pair<std::string, std::string>> map_dirs; // host pattern -> guest folder
};

// A root file system assembled elsewhere (an OCI image's layers: oci/rootfs.hpp) and how
// to start the program in it, instead of a host program uk packs.
struct PreparedRoot {
    FileTree tree;
    std::string program;           // absolute guest path of the file to run, found in the tree
    std::vector<std::string> argv; // argv[0] included, as the image says it
    std::string working_dir = "/";
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::string image_record; // JSON for /etc/uk/image.json: where the root came from
};

struct BuildRequest {
    std::filesystem::path program; // unless `root` is given
    std::string name;                                     // image name; the guest's hostname
    std::vector<std::string> args;                        // after argv[0] (a host program only)
    std::optional<PreparedRoot> root;
    std::vector<std::pair<std::string, std::string>> env; // in order
    Contents contents;
    std::filesystem::path sysroot = "/";                  // where shared libraries come from
    std::vector<std::string> name_servers;                // empty: those of uk run's network
    bool readonly_root = false;
    std::optional<std::uint64_t> writable_root_mib;       // cap on what the program may write
    bool strip = false;                                   // strip ELF files as they are packed
    Compression compression = Compression::automatic;
    settings::RootFs root_fs = settings::RootFs::squashfs;
    // Run the program under this strace, a host ELF packed with its own loader and
    // libraries under /.uk (so that they never clash with the root's), with these options
    // before the program. Empty: no strace.
    std::filesystem::path strace;
    std::vector<std::string> strace_options;
    std::filesystem::path output;
    Readers readers = Readers::owner;                     // of the image file (files.hpp)
    Arch arch = Arch::amd64;                              // the program's; kernel and init are of it
    std::span<const std::byte> kernel;                    // for the boot partition (bzImage, vmlinuz.efi)
    std::span<const std::byte> init;                      // uk-init
    // The host's CA bundle, copied to /etc/ssl/certs/ca-certificates.crt when present.
    std::filesystem::path ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
    // Asked between files and before the image is renamed into place; true stops the
    // build with ErrorKind::interrupted and leaves no file behind.
    std::function<bool()> cancelled = [] { return false; };
};

// One line of `uk build --list`.
struct ListedEntry {
    std::string guest;
    std::uint64_t size = 0;
    std::string source; // the host path, or "uk" for what uk writes
    std::string why;    // "program", "loader", "needed by /node", "Files", ...
};

struct ImagePlan {
    FileTree tree;
    std::vector<ListedEntry> listing; // files and symlinks, in guest path order
    std::string guest_program;
    bool has_ca_bundle = false;
};

Result<ImagePlan> plan_image(const BuildRequest& request);

struct BuildResult {
    DiskImage disk;
    std::string guest_program;
    bool has_ca_bundle = false;
    Compression compression = Compression::zstd; // what auto became
    settings::RootFs root_fs = settings::RootFs::squashfs;
};

Result<BuildResult> build_image(const BuildRequest& request);

// An image name from a program path: its file name, lower-cased, with anything but
// letters, digits, '-', '_' and '.' replaced by '-'.
std::string default_image_name(const std::filesystem::path& program);


} // namespace uk::image
