// The JSON documents of an OCI or Docker image: the index (a list of manifests, one per
// platform), the manifest (a config and layers) and the image config (how to run it).
// Docker's v2 schema 2 types read the same as OCI's.
#pragma once

#include "core/error.hpp"
#include "oci/digest.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace uk::oci {

namespace media {
inline constexpr const char* oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* docker_layer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
} // namespace media

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
    std::string to_string() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }
};

struct Descriptor {
    std::string media_type;
    Digest digest;
    std::uint64_t size = 0;
    std::optional<Platform> platform;
    std::map<std::string, std::string> annotations;
};

struct Index {
    std::vector<Descriptor> manifests;
};

struct Manifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
    std::map<std::string, std::string> annotations;
};

using Document = std::variant<Index, Manifest>;

// An index or a manifest, told apart by its mediaType (or, without one, its fields).
// `what` names it in errors.
Result<Document> parse_document(const std::string& text, const std::string& what);

// The linux/amd64 image of an index; anything else is one line listing what there is.
Result<Descriptor> choose_platform(const Index& index, const std::string& what);

// How the image wants to be run (the "config" part of the image config).
struct ImageConfig {
    std::string os;
    std::string architecture;
    std::optional<std::vector<std::string>> entrypoint;
    std::optional<std::vector<std::string>> cmd;
    std::vector<std::string> env; // KEY=VALUE
    std::string working_dir;
    std::string user;
    std::vector<std::string> exposed_ports; // "8080/tcp"
    std::map<std::string, std::string> labels;
    std::vector<Digest> diff_ids;
};

Result<ImageConfig> parse_image_config(const std::string& text, const std::string& what);

// An image config for a uk image pushed as a containerDisk: linux/amd64, one layer.
std::string container_disk_config(const Digest& diff_id, const std::string& created);
std::string manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers);

} // namespace uk::oci
