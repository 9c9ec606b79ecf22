// The manifest uk-init reads at /etc/uk/manifest.json (docs/guest.md).
#pragma once

#include "core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace uk::image {

struct MountSpec {
    std::string source;
    std::string target;
    std::string type;
    std::string options;
};

inline constexpr std::uint64_t unlimited = ~std::uint64_t{0};

struct Manifest {
    std::string program;                 // guest path
    std::vector<std::string> argv;       // argv[0] included
    std::vector<std::pair<std::string, std::string>> env; // in order
    std::string cwd = "/";
    std::string hostname = "uk";
    bool readonly_root = false;
    std::optional<std::uint64_t> writable_root_mib; // the overlay's size; empty: tmpfs's default
    std::vector<MountSpec> mounts;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> rlimits; // soft, hard
    std::uint32_t stop_grace_seconds = 10;
    // Who the program runs as (an OCI image's User); root when not given.
    std::optional<std::uint32_t> uid;
    std::optional<std::uint32_t> gid;
};

// Pretty-printed, keys in a fixed order: part of the reproducible image.
std::string to_json(const Manifest& manifest);

// What the guest can take, checked when the image is built rather than found when it
// boots: uk-init reads at most 1 MiB of manifest (MAX_MANIFEST_BYTES), and Linux starts
// no program with an argument or variable over 128 KiB (MAX_ARG_STRLEN), nor with more
// than a quarter of its 8 MiB stack in arguments and environment.
inline constexpr std::size_t manifest_limit = 1024 * 1024;
inline constexpr std::size_t argument_limit = 32 * 4096;
inline constexpr std::size_t start_limit = 2 * 1024 * 1024;
Status check_manifest(const Manifest& manifest, std::string_view text);

} // namespace uk::image
