// Where an OCI or Docker image comes from, in the transports skopeo and podman take:
//
//   oci:PATH[:TAG]            an OCI image layout folder (TAG: its ref.name annotation)
//   oci-archive:PATH[:TAG]    the same as a tar
//   docker-archive:PATH       a `docker save` tarball
//   docker://HOST[:PORT]/NAME[:TAG|@sha256:DIGEST]   a registry
//
// A docker:// reference without a registry host (docker://nginx) means Docker Hub, as
// docker reads it.
#pragma once

#include "core/error.hpp"
#include "oci/digest.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace uk::oci {

enum class Transport { oci_layout, oci_archive, docker_archive, registry };

struct Reference {
    Transport transport = Transport::registry;
    std::filesystem::path path; // layouts and archives
    std::string tag;            // empty: the layout's only image, or "latest" in a registry
    std::string registry;       // HOST[:PORT]
    std::string repository;     // NAME, e.g. "library/nginx", "team/app"
    std::optional<Digest> digest;
    std::string to_string() const;
    // A name for an image built from it: the repository's or the path's last part.
    std::string short_name() const;
};

// Whether text names a transport at all (and so is meant as an image reference).
bool is_image_reference(std::string_view text);

Result<Reference> parse_reference(std::string_view text);

} // namespace uk::oci
