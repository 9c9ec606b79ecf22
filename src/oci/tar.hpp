// Tar archives through libarchive (plain, gzip, zstd, xz): unpacking one whole into a
// folder of uk's own (oci-archive: and docker-archive: inputs), and writing the one-file
// layer of a containerDisk.
#pragma once

#include "core/error.hpp"
#include "oci/digest.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

struct archive;
struct archive_entry;

namespace uk::oci {

// Every entry of a tar (plain or compressed), in order, until `visit` says false or fails;
// `cancelled` is asked between entries. `what` names the archive in errors.
using TarVisitor = std::function<Result<bool>(::archive* in, ::archive_entry* entry)>;
Status for_each_tar_entry(const std::filesystem::path& archive, const std::string& what,
                          const std::function<bool()>& cancelled, const TarVisitor& visit);
// The current entry's data into `fd`, holes kept.
Status copy_entry_data(::archive* in, int fd, const std::string& what);

// Files, folders and symlinks that stay inside `into`; anything climbing out of it, or a
// device, is refused. `what` names the archive in errors.
Status extract_tar(const std::filesystem::path& archive, const std::filesystem::path& into, const std::string& what,
                   const std::function<bool()>& cancelled);

// A gzip-compressed tar holding `folder`/ (mode 0555) and `folder`/`name` (mode 0444, the
// bytes of `file`), owned by uid and gid: KubeVirt's containerDisk layout. Returns the
// digests of the compressed file (the layer's) and of the tar inside (its diff_id).
struct WrittenLayer {
    Digest digest;
    Digest diff_id;
    std::uint64_t size = 0;
};
Result<WrittenLayer> write_single_file_layer(const std::filesystem::path& file, const std::string& folder,
                                             const std::string& name, unsigned uid, unsigned gid,
                                             const std::filesystem::path& layer, const std::function<bool()>& cancelled);

// The disk of a containerDisk layer: when the layer holds nothing but `folder`/ and one
// file in it, that file is written to `into` and its name returned; for any other layer,
// nothing (and nothing is left at `into`).
Result<std::optional<std::string>> extract_single_file(const std::filesystem::path& layer, const std::string& folder,
                                                       const std::filesystem::path& into, const std::string& what,
                                                       const std::function<bool()>& cancelled);

} // namespace uk::oci
