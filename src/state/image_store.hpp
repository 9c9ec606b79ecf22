// The image store: one folder of NAME.img files. This is the one place that knows that
// convention; everything else asks it for a name's file, the list, or what a name-or-file
// argument means.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

namespace uk::state {

class ImageStore {
public:
    explicit ImageStore(std::filesystem::path folder) : folder_(std::move(folder)) {}

    const std::filesystem::path& folder() const { return folder_; }
    // Where the image of this name lives (the name must be valid: check_name).
    std::filesystem::path file_of(const std::string& name) const { return folder_ / (name + ".img"); }
    // A valid name with an image in the store.
    bool contains(const std::string& name) const;

    struct Entry {
        std::string name;
        std::filesystem::path file;
        std::uint64_t size_bytes = 0;
        std::time_t modified = 0;
    };
    // Every image, by name; none when the folder does not exist yet.
    Result<std::vector<Entry>> list() const;

    // An image file given by path, or by name in the store: "./web.img", "web". The error
    // says both were tried.
    Result<std::filesystem::path> resolve(const std::string& name_or_file) const;

    // Removes these images, by name: all are checked before any goes.
    Status remove(const std::vector<std::string>& names) const;

private:
    std::filesystem::path folder_;
};

} // namespace uk::state
