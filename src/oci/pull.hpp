// From a reference to an image on this host: its manifest (the linux/amd64 one of an
// index), its config and its layers, each checked against its digest; a registry's blobs
// stay in uk's cache, so the next pull of the same image reads nothing from the network.
#pragma once

#include "core/error.hpp"
#include "oci/document.hpp"
#include "oci/reference.hpp"
#include "oci/source.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace uk::oci {

// What a puller says as it goes: one bar per layer.
class PullProgress {
public:
    virtual ~PullProgress() = default;
    virtual void layer_started(std::size_t index, std::size_t count, const Descriptor& layer) = 0;
    virtual void layer_advanced(std::size_t index, std::uint64_t done, std::uint64_t total) = 0;
    virtual void layer_finished(std::size_t index) = 0;
};

struct PulledImage {
    Reference reference;
    Digest manifest_digest;
    Manifest manifest;
    ImageConfig config;
    std::vector<std::filesystem::path> layers; // in order, on this host
    std::uint64_t compressed_bytes = 0;
    std::shared_ptr<ImageSource> source; // keeps an unpacked archive alive
};

Result<PulledImage> pull_image(const Reference& reference, const SourceOptions& options, PullProgress* progress);

} // namespace uk::oci
