// Named volumes: each a folder in uk's data folder (volumes/NAME) holding the ext4 file
// system in a sparse file (data.ext4), when it was made (volume.json) and its lock
// (lease.hpp). Made under a temporary name and renamed into place, removed by renaming
// away first, so a half-made or half-removed volume is never listed.
#pragma once

#include "core/error.hpp"
#include "volume/e2fsprogs.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uk::volume {

// What a volume gets when none is asked for (-v NAME:/path creates one this big, as
// docker creates a missing volume): sparse, so it costs the disk only what is written.
inline constexpr std::uint64_t default_size_bytes = 1ull << 30;
// ext4 with a journal wants a few MiB; below this a volume is of no use.
inline constexpr std::uint64_t minimum_size_bytes = 16ull << 20;
inline constexpr std::uint64_t maximum_size_bytes = 16ull << 40;

struct Volume {
    std::string name;
    std::uint64_t size_bytes = 0; // the file system's size
    std::uint64_t used_bytes = 0; // what its file takes on the host's disk
    std::string created;          // UTC, ISO 8601
    bool clean = true;            // unmounted cleanly last time (ext4.hpp)
    std::filesystem::path file;
};

class Store {
public:
    explicit Store(std::filesystem::path folder) : folder_(std::move(folder)) {}
    const std::filesystem::path& folder() const { return folder_; }

    bool exists(const std::string& name) const;
    std::filesystem::path data_file(const std::string& name) const { return folder_ / name / "data.ext4"; }
    std::filesystem::path lock_file(const std::string& name) const { return folder_ / name / "lock"; }

    // A new volume, empty or filled from a host folder.
    Result<Volume> create(const std::string& name, std::uint64_t size_bytes,
                          const std::optional<std::filesystem::path>& from, const Cancelled& cancelled) const;
    Result<Volume> inspect(const std::string& name) const;
    // By name.
    Result<std::vector<Volume>> list() const;
    // The caller holds the volume's write lease, so no VM has it.
    Status remove(const std::string& name) const;

private:
    std::filesystem::path folder_;
};

// A volume's size is 16 MiB to 16 TiB.
Status check_size(std::uint64_t size_bytes);

} // namespace uk::volume
