// From an OCI or Docker image to what uk builds or boots: the image read (from a layout,
// an archive or a registry), its layers assembled into a root, and its program started
// the way its config says, with the user's settings over it as `docker run` puts them.
// An image that is a containerDisk (a disk under /disk/, what `uk image push` writes) is
// a uk image already: its disk goes into the image store as it is.
#pragma once

#include "app/build.hpp"
#include "config/merge.hpp"
#include "core/error.hpp"
#include "image/build.hpp"
#include "oci/pull.hpp"
#include "state/image_store.hpp"
#include "state/paths.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace uk::app {

struct ImageFetch {
    std::string reference; // as the user wrote it: oci:..., docker://...
    bool tls_verify = true;
    state::Environment environment;      // registry credentials (oci/auth.hpp)
    oci::PullProgress* progress = nullptr; // a bar per layer, or nothing
};

Result<oci::PulledImage> pull(const ImageFetch& fetch, const state::Paths& paths);

// The disk of a containerDisk image, when it is one: converted to a raw image and put in
// the store as `name`. Nothing for any other image.
Result<std::optional<std::filesystem::path>> install_container_disk(const oci::PulledImage& image,
                                                                    const std::string& name,
                                                                    const state::ImageStore& store,
                                                                    const state::Paths& paths);

// How to start the image's program, with the settings over the image's config:
//   argv: PROGRAM replaces Entrypoint and drops Cmd (docker run --entrypoint); -a/Args
//         replace Cmd; the first word is found in the image's PATH when it has no '/';
//   env:  the image's Env, then the config file's and -e's (the same name wins);
//   WorkingDir, and User as uid:gid (names looked up in the image's /etc/passwd, group).
// The program must be an x86-64 ELF or a script in the image.
struct ImageStart {
    std::string program;
    std::vector<std::string> argv;
    std::vector<std::pair<std::string, std::string>> env;
    std::string working_dir = "/";
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};
Result<ImageStart> image_start(const oci::PulledImage& image, const image::FileTree& tree,
                               const config::Settings& settings);

// Settings, kernel and build request for an image's root, which is staged under uk's
// cache for as long as the PreparedBuild lives.
Result<PreparedBuild> prepare_image_build(const oci::PulledImage& image, config::Settings settings,
                                          KernelChoice kernel, const std::filesystem::path& output,
                                          const state::ImageStore& store, const state::Paths& paths);

// The record kept at /etc/uk/image.json: where the root came from and what its config
// said (`uk image inspect` shows it).
std::string image_record(const oci::PulledImage& image);

} // namespace uk::app
