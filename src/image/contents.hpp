// Host files into the image's tree: one file (stripped on the way when asked), a whole
// folder (symlinks kept as symlinks, never followed), and the user's Files, Dirs and
// MapDirs with ops's placement rules.
#pragma once

#include "core/error.hpp"
#include "image/build.hpp"
#include "image/file_tree.hpp"

#include <filesystem>
#include <string>

namespace uk::image {

struct PackOptions {
    bool strip = false;
};

// One host file (symlinks followed: the user named it) at guest_path.
Status pack_file(FileTree& tree, const std::filesystem::path& host, const std::string& guest_path, std::uint16_t mode,
                 const std::string& why, const PackOptions& options);

// A folder and everything below it at guest_path. Symlinks are stored as they are.
Status pack_folder(FileTree& tree, const std::filesystem::path& host, const std::string& guest_path,
                   const std::string& why, const PackOptions& options);

Status pack_contents(FileTree& tree, const Contents& contents, const PackOptions& options);

} // namespace uk::image
