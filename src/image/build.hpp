// From a program on the host to a bootable uk image: what goes into the root (the
// program, uk-init, the manifest, /etc) and where it is written.
#pragma once

#include "core/error.hpp"
#include "image/disk.hpp"
#include "image/squashfs.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace uk::image {

struct BuildRequest {
    std::filesystem::path program;
    std::string name;                                     // image name; the guest's hostname
    std::vector<std::string> args;                        // after argv[0]
    std::vector<std::pair<std::string, std::string>> env; // in order
    Compression compression = Compression::zstd;
    std::filesystem::path output;
    std::span<const std::byte> kernel;                    // bzImage for the boot partition
    std::span<const std::byte> init;                      // uk-init
    // The host's CA bundle, copied to /etc/ssl/certs/ca-certificates.crt when present.
    std::filesystem::path ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
    // Asked between files and before the image is renamed into place; true stops the
    // build with ErrorKind::interrupted and leaves no file behind.
    std::function<bool()> cancelled = [] { return false; };
};

struct BuildResult {
    DiskImage disk;
    std::string guest_program; // where the program is in the guest
    bool has_ca_bundle = false;
};

Result<BuildResult> build_image(const BuildRequest& request);

// An image name from a program path: its file name, lower-cased, with anything but
// letters, digits, '-', '_' and '.' replaced by '-'.
std::string default_image_name(const std::filesystem::path& program);

// Names of images in the store: 1 to 64 of [a-z0-9._-], starting with a letter or digit.
Status check_image_name(const std::string& name);

} // namespace uk::image
