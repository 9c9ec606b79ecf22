// An image's root file system assembled from its layers, in order, as a container
// runtime would: OCI whiteouts (.wh.NAME) remove what lower layers put there, an opaque
// folder (.wh..wh..opq) hides everything lower layers put inside it, a later entry
// replaces an earlier one. Nothing is written to the host but file data, into a staging
// folder under numbered names: a layer's paths only ever name places in the tree, so no
// entry can reach outside it. A path that climbs out with ".." is refused; one through a
// symlink follows the symlink inside the tree (an absolute target starts at the image's
// root), as the guest's kernel would.
#pragma once

#include "core/error.hpp"
#include "image/file_tree.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

struct archive;
struct archive_entry;

namespace uk::oci {

class RootFs {
public:
    explicit RootFs(std::filesystem::path staging) : staging_(std::move(staging)) {}

    // Applies one layer (a tar, plain or compressed). `what` names it in errors.
    Status apply_layer(const std::filesystem::path& layer, const std::string& what,
                       const std::function<bool()>& cancelled);

    const image::FileTree& tree() const { return tree_; }
    image::FileTree& tree() { return tree_; }
    // What was skipped because an image root cannot hold it (devices, FIFOs, sockets).
    std::uint64_t skipped() const { return skipped_; }

private:
    Status apply_entry(::archive* in, ::archive_entry* entry, const std::string& what);

    std::filesystem::path staging_;
    image::FileTree tree_;
    std::map<std::string, std::size_t> layer_of_; // which layer put each path there
    std::size_t layer_ = 0;
    std::uint64_t next_file_ = 0;
    std::uint64_t skipped_ = 0;
};

// The bytes of a file in the tree (from the host or from memory), at most `limit`.
Result<std::string> read_tree_file(const image::FileTree& tree, const std::string& guest_path, std::size_t limit);

} // namespace uk::oci
