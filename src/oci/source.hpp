// Where an image's manifests and blobs are read from: an OCI layout (oci:, and
// oci-archive: once unpacked), a `docker save` tarball (docker-archive:), or a registry
// (docker://, blobs kept in uk's cache by digest). Every blob handed out has been checked
// against its digest.
#pragma once

#include "core/error.hpp"
#include "oci/document.hpp"
#include "oci/reference.hpp"
#include "oci/registry.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace uk::oci {

class ImageSource {
public:
    virtual ~ImageSource() = default;
    // The index or manifest the reference names, and its digest.
    virtual Result<FetchedDocument> top() = 0;
    // A manifest an index lists.
    virtual Result<FetchedDocument> document(const Descriptor& descriptor) = 0;
    // A blob on this host, checked against its digest.
    virtual Result<std::filesystem::path> blob(const Descriptor& descriptor, const BlobProgress& progress) = 0;
    // Whether blob() may need the network (for the progress shown).
    virtual bool remote() const { return false; }
};

struct SourceOptions {
    std::filesystem::path cache;  // uk's cache folder: blobs under oci/blobs, unpacked archives under oci/tmp
    RegistryOptions registry;
};

Result<std::unique_ptr<ImageSource>> open_source(const Reference& reference, const SourceOptions& options);

// The cache's copy of a blob, when it holds one (registry blobs are kept there).
std::filesystem::path cached_blob(const std::filesystem::path& cache, const Digest& digest);

} // namespace uk::oci
