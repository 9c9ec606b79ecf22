// The options that shape an image, shared by `uk build`, `uk run` and `uk image create`,
// turned into the typed overrides the config merge takes (config/merge.hpp).
#pragma once

#include "app/build.hpp"
#include "config/merge.hpp"
#include "core/error.hpp"
#include "state/paths.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace uk::cli {

struct ImageOptions {
    std::string config_file;
    std::string name;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string compression;
    std::string root_fs;
    std::string arch;
    std::string sysroot;
    bool strip = false;
    std::string kernel;
    std::string strace; // "true" for a bare --strace, else its options, comma-separated

    // `uk run` names the image --image-name: its --name is the instance's.
    enum class NameFlag { name, image_name };
    void declare(CLI::App& command, NameFlag name_flag = NameFlag::name);
    // Whether any option that changes an image's contents was given.
    bool shapes_image() const;
    // -c FILE, when given.
    std::optional<std::filesystem::path> config() const;
    // What the flags given say; `-e KEY` takes KEY from uk's own environment.
    Result<config::Overrides> overrides(const state::Environment& environment) const;

    // The build these options (and PROGRAM, when not empty) describe, into `output`
    // (empty: the image store).
    Result<app::PreparedBuild> prepare(const std::string& program, const std::filesystem::path& output,
                                       const state::Environment& environment) const;

private:
    CLI::Option* name_option_ = nullptr;
    CLI::Option* args_option_ = nullptr;
    CLI::Option* env_option_ = nullptr;
    CLI::Option* compression_option_ = nullptr;
    CLI::Option* root_fs_option_ = nullptr;
    CLI::Option* arch_option_ = nullptr;
    CLI::Option* sysroot_option_ = nullptr;
    CLI::Option* strip_option_ = nullptr;
    CLI::Option* kernel_option_ = nullptr;
    CLI::Option* strace_option_ = nullptr;
};

} // namespace uk::cli
