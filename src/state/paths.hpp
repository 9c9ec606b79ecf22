// Where uk keeps its files: images and volumes under $XDG_DATA_HOME/uk, instances under
// $XDG_STATE_HOME/uk, caches under $XDG_CACHE_HOME/uk; UK_HOME puts all three in one
// folder (tests and CI use it).
#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace uk::state {

struct Paths {
    std::filesystem::path images;
    std::filesystem::path instances;
    std::filesystem::path cache;
    std::filesystem::path volumes;
};

using Environment = std::function<std::optional<std::string>(const std::string&)>;

// The process environment, read once at the CLI boundary.
Environment process_environment();

Result<Paths> resolve_paths(const Environment& environment);

// Creates a folder and its parents, with an error that names it.
Status ensure_directory(const std::filesystem::path& folder);

} // namespace uk::state
