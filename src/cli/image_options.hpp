// The options that shape an image, shared by `uk build` and `uk run PROGRAM`.
#pragma once

#include "core/error.hpp"
#include "image/build.hpp"
#include "state/paths.hpp"

#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

namespace uk::cli {

struct ImageOptions {
    std::string name;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string compression = "zstd";

    void declare(CLI::App& command);
    bool changes_contents() const { return !args.empty() || !env.empty(); }
};

// KEY=VALUE, or KEY alone to pass the variable from uk's own environment (as docker -e).
Result<std::vector<std::pair<std::string, std::string>>> parse_env(const std::vector<std::string>& specs,
                                                                    const state::Environment& environment);

// The build request for a program, with the image going to `output` (empty: the store).
Result<image::BuildRequest> make_build_request(const std::string& program, const ImageOptions& options,
                                               const std::string& output, const state::Environment& environment);

} // namespace uk::cli
