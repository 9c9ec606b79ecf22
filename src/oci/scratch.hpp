// A folder of uk's own under the cache (oci/tmp), removed with everything in it when it
// goes: an unpacked archive, a root's staged files. One a killed uk left behind is removed
// by the next one (core/temporary_files.hpp).
#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <utility>

namespace uk::oci {

class ScratchFolder {
public:
    static Result<ScratchFolder> make(const std::filesystem::path& cache, const std::string& what);
    ScratchFolder(ScratchFolder&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    ScratchFolder& operator=(ScratchFolder&&) = delete;
    ~ScratchFolder();
    const std::filesystem::path& path() const { return path_; }

private:
    explicit ScratchFolder(std::filesystem::path path) : path_(std::move(path)) {}
    std::filesystem::path path_;
};

} // namespace uk::oci
