#include "oci/push.hpp"

#include "oci/scratch.hpp"
#include "oci/tar.hpp"

namespace uk::oci {
namespace {

// KubeVirt runs QEMU as uid/gid 107, which must be able to read the disk.
constexpr unsigned kubevirt_qemu_id = 107;

} // namespace

Result<PushedDisk> push_container_disk(const std::filesystem::path& disk, const std::string& disk_name,
                                       const Reference& reference, const SourceOptions& options,
                                       const std::string& created, const BlobProgress& progress)
{
    if (reference.transport != Transport::registry)
        return fail(ErrorKind::usage, "{}: uk image push sends images to a registry: give docker://HOST/REPO:TAG",
                    reference.to_string());
    if (reference.digest)
        return fail(ErrorKind::usage, "{}: push to a tag, not a digest (the registry computes the digest)",
                    reference.to_string());
    auto scratch = ScratchFolder::make(options.cache, "push");
    if (!scratch)
        return fail(scratch.error());
    auto layer_file = scratch->path() / "layer.tar.gz";
    auto layer = write_single_file_layer(disk, "disk", disk_name, kubevirt_qemu_id, kubevirt_qemu_id, layer_file,
                                         options.registry.cancelled);
    if (!layer)
        return fail(layer.error());
    auto config_text = container_disk_config(layer->diff_id, created);
    PushedDisk pushed;
    pushed.config = {.media_type = media::oci_config, .digest = digest_of(config_text), .size = config_text.size()};
    pushed.layer = {.media_type = media::oci_layer_gzip, .digest = layer->digest, .size = layer->size};

    Registry registry(reference.registry, reference.repository, options.registry);
    auto has_layer = registry.has_blob(pushed.layer.digest);
    if (!has_layer)
        return fail(has_layer.error());
    if (!*has_layer) {
        if (auto sent = registry.push_blob(layer_file, pushed.layer.digest, progress); !sent)
            return fail(sent.error());
        pushed.layer_sent = true;
    } else if (progress) {
        progress(pushed.layer.size, pushed.layer.size);
    }
    auto has_config = registry.has_blob(pushed.config.digest);
    if (!has_config)
        return fail(has_config.error());
    if (!*has_config)
        if (auto sent = registry.push_blob(config_text, pushed.config.digest); !sent)
            return fail(sent.error());
    auto manifest = manifest_json(pushed.config, {pushed.layer});
    auto digest = registry.push_manifest(reference.tag.empty() ? "latest" : reference.tag, manifest, media::oci_manifest);
    if (!digest)
        return fail(digest.error());
    pushed.manifest_digest = *digest;
    return pushed;
}

} // namespace uk::oci
