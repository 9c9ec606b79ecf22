// The options that shape an image, shared by `uk build` and `uk run`, and how they meet
// the config file (flags > config file > defaults: config/settings.hpp).
#pragma once

#include "config/settings.hpp"
#include "core/error.hpp"
#include "image/build.hpp"
#include "state/paths.hpp"

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace uk::cli {

struct ImageOptions {
    std::string config_file;
    std::string name;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string compression;
    std::string sysroot;
    bool strip = false;
    std::string kernel;

    // `uk run` names the image --image-name: its --name is the instance's.
    enum class NameFlag { name, image_name };
    void declare(CLI::App& command, NameFlag name_flag = NameFlag::name);
    // Whether any option that changes an image's contents was given.
    bool shapes_image() const;
    // What the flags given say; `-e KEY` takes KEY from uk's own environment.
    Result<config::Overrides> overrides(const state::Environment& environment) const;

private:
    CLI::Option* config_option_ = nullptr;
    CLI::Option* name_option_ = nullptr;
    CLI::Option* args_option_ = nullptr;
    CLI::Option* env_option_ = nullptr;
    CLI::Option* compression_option_ = nullptr;
    CLI::Option* sysroot_option_ = nullptr;
    CLI::Option* strip_option_ = nullptr;
    CLI::Option* kernel_option_ = nullptr;
};

// The config file (-c, or ./uk.json) merged with the flags. Its warnings are printed here.
Result<config::Settings> load_settings(const ImageOptions& options, const config::Overrides& overrides);

// A kernel given with --kernel or Kernel, read into memory; empty for the embedded one.
struct KernelChoice {
    std::filesystem::path path; // empty: the embedded kernel
    std::shared_ptr<std::string> bytes;
};
Result<KernelChoice> kernel_choice(const config::Settings& settings);

// The program to pack: a path, or a bare name looked up in PATH.
Result<std::filesystem::path> program_path(const config::Settings& settings);

// The build request for the settings' program, into `output` (empty: the image store).
// `kernel` must outlive the request.
Result<image::BuildRequest> make_build_request(const config::Settings& settings, const KernelChoice& kernel,
                                               const std::string& output, const state::Environment& environment);

// What `uk build` and `uk image create` start from: flags, PROGRAM (empty: the config's)
// and the config file, turned into a build request. The request points into `kernel`.
struct PreparedBuild {
    KernelChoice kernel;
    image::BuildRequest request;
};
Result<PreparedBuild> prepare_build(const ImageOptions& options, const std::string& program, const std::string& output,
                                    const state::Environment& environment);

} // namespace uk::cli
