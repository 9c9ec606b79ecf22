// From settings to an image build: the config file merged with the flags, the kernel to
// put in, the program to pack, and the build request for image::build_image. `uk build`,
// `uk run PROGRAM` and `uk image create` all start here.
#pragma once

#include "config/merge.hpp"
#include "core/error.hpp"
#include "image/build.hpp"
#include "state/image_store.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace uk::app {

// The config file (given, or ./uk.json when present) merged with the flags. Its
// warnings (ops settings uk ignores) are printed here.
Result<config::Settings> load_settings(const std::optional<std::filesystem::path>& config_file,
                                       const config::Overrides& flags);

// A kernel given with --kernel or Kernel, read into memory; empty for the embedded one.
struct KernelChoice {
    std::filesystem::path path; // empty: the embedded kernel
    std::shared_ptr<std::string> bytes;
};
Result<KernelChoice> kernel_choice(const config::Settings& settings);

// The program to pack: a path, or a bare name: a file in the config's folder first, else
// a command in PATH (as ops reads it).
Result<std::filesystem::path> program_path(const config::Settings& settings);

// The build request for the settings' program, into `output` (empty: the image store).
// `kernel` must outlive the request.
Result<image::BuildRequest> make_build_request(const config::Settings& settings, const KernelChoice& kernel,
                                               const std::filesystem::path& output, const state::ImageStore& store);

// The same for a root assembled elsewhere (an OCI image's), named `default_name` unless
// the settings name it.
Result<image::BuildRequest> make_root_build_request(const config::Settings& settings, const KernelChoice& kernel,
                                                    const std::filesystem::path& output,
                                                    const state::ImageStore& store, image::PreparedRoot root,
                                                    const std::string& default_name);

// Builds the image, one build of the same file at a time: a second waits (and says so)
// until the first has renamed its image into place.
Result<image::BuildResult> build_image(const image::BuildRequest& request);

// Settings plus their kernel and build request, which points into `kernel`.
struct PreparedBuild {
    config::Settings settings;
    KernelChoice kernel;
    image::BuildRequest request;
    std::shared_ptr<void> staging; // where an image root's files wait to be packed
};
Result<PreparedBuild> prepare_build(const std::optional<std::filesystem::path>& config_file,
                                    const config::Overrides& flags, const std::filesystem::path& output,
                                    const state::ImageStore& store);

} // namespace uk::app
