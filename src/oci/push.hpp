// A disk pushed to a registry as a KubeVirt containerDisk: one gzip layer holding
// disk/NAME (owned by 107:107, KubeVirt's qemu user), a linux/amd64 config with nothing
// to run, an OCI manifest under the reference's tag. Blobs the registry has already are
// not sent again.
#pragma once

#include "core/error.hpp"
#include "oci/document.hpp"
#include "oci/reference.hpp"
#include "oci/registry.hpp"
#include "oci/source.hpp"

#include <filesystem>
#include <string>

namespace uk::oci {

struct PushedDisk {
    Digest manifest_digest;
    Descriptor config;
    Descriptor layer;
    bool layer_sent = false; // false: the registry had it
};

// `created`: the config's creation time (RFC 3339); the same disk and time give the same
// digests.
Result<PushedDisk> push_container_disk(const std::filesystem::path& disk, const std::string& disk_name,
                                       const Reference& reference, const SourceOptions& options,
                                       const std::string& created, const BlobProgress& progress);

} // namespace uk::oci
