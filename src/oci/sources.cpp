#include "oci/source.hpp"

#include "core/files.hpp"
#include "core/temporary_files.hpp"
#include "oci/scratch.hpp"
#include "oci/tar.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace uk::oci {
namespace {

using nlohmann::json;

constexpr const char* ref_name = "org.opencontainers.image.ref.name";

Result<FetchedDocument> read_document(const std::filesystem::path& file, const Digest& digest, const std::string& what)
{
    if (auto verified = verify_file(file, digest, what); !verified)
        return fail(verified.error());
    auto text = read_file(file);
    if (!text)
        return fail(text.error());
    return FetchedDocument{*text, "", digest};
}

// oci: a folder with oci-layout, index.json and blobs/sha256/.
class LayoutSource : public ImageSource {
public:
    LayoutSource(std::filesystem::path folder, std::string tag, std::string what, std::optional<ScratchFolder> scratch)
        : folder_(std::move(folder)), tag_(std::move(tag)), what_(std::move(what)), scratch_(std::move(scratch))
    {
    }

    Result<FetchedDocument> top() override
    {
        auto text = read_file(folder_ / "index.json");
        if (!text)
            return fail(ErrorKind::not_found, "{} is not an OCI image layout (no index.json in {})", what_,
                        folder_.string());
        auto index = parse_document(*text, what_ + " index.json");
        if (!index)
            return fail(index.error());
        const auto* listed = std::get_if<Index>(&*index);
        if (!listed || listed->manifests.empty())
            return fail(ErrorKind::invalid_input, "{} lists no images in its index.json", what_);
        std::vector<std::string> tags;
        std::optional<Descriptor> chosen;
        for (const auto& d : listed->manifests) {
            auto name = d.annotations.contains(ref_name) ? d.annotations.at(ref_name) : "";
            tags.push_back(name.empty() ? d.digest.to_string() : name);
            if (!tag_.empty() && name == tag_)
                chosen = d;
        }
        if (tag_.empty() && listed->manifests.size() == 1)
            chosen = listed->manifests.front();
        if (!chosen) {
            std::string list;
            for (const auto& t : tags)
                list += (list.empty() ? "" : ", ") + t;
            if (tag_.empty())
                return fail(ErrorKind::not_found, "{} holds several images ({}): name one, as {}:TAG", what_, list,
                            what_);
            return fail(ErrorKind::not_found, "{} has no image tagged {} (it has {})", what_, tag_, list);
        }
        return document(*chosen);
    }

    Result<FetchedDocument> document(const Descriptor& d) override
    {
        return read_document(blob_path(d.digest), d.digest, what_ + " manifest " + d.digest.to_string());
    }

    Result<std::filesystem::path> blob(const Descriptor& d, const BlobProgress& progress) override
    {
        auto file = blob_path(d.digest);
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec))
            return fail(ErrorKind::not_found, "{} lacks blob {} ({} is missing)", what_, d.digest.to_string(),
                        file.string());
        if (auto verified = verify_file(file, d.digest, what_ + " blob " + d.digest.to_string()); !verified)
            return fail(verified.error());
        if (progress)
            progress(d.size, d.size);
        return file;
    }

private:
    std::filesystem::path blob_path(const Digest& digest) const { return folder_ / "blobs" / "sha256" / digest.hex; }
    std::filesystem::path folder_;
    std::string tag_;
    std::string what_;
    std::optional<ScratchFolder> scratch_;
};

// docker-archive: manifest.json lists the config and layer files of each image; uk reads
// it as a manifest whose digests it computes.
class DockerArchiveSource : public ImageSource {
public:
    DockerArchiveSource(ScratchFolder scratch, std::string what) : scratch_(std::move(scratch)), what_(std::move(what)) {}

    Result<FetchedDocument> top() override
    {
        auto text = read_file(scratch_.path() / "manifest.json");
        auto saved = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
        if (!saved.is_array() || saved.empty())
            return fail(ErrorKind::invalid_input, "{} is not a docker save tarball (no manifest.json listing images)",
                        what_);
        if (saved.size() > 1)
            return fail(ErrorKind::invalid_input, "{} holds {} images: save one image per tarball", what_, saved.size());
        const auto& entry = saved[0];
        if (!entry.contains("Config") || !entry["Config"].is_string() || !entry.contains("Layers") ||
            !entry["Layers"].is_array())
            return fail(ErrorKind::invalid_input, "{}: manifest.json lacks Config or Layers", what_);
        auto config = add(entry["Config"].get<std::string>(), media::docker_config);
        if (!config)
            return fail(config.error());
        std::vector<Descriptor> layers;
        for (const auto& layer : entry["Layers"]) {
            auto d = layer.is_string() ? add(layer.get<std::string>(), media::oci_layer_tar)
                                       : Result<Descriptor>(fail(ErrorKind::invalid_input, "{}: a layer that is not a "
                                                                                           "file name", what_));
            if (!d)
                return fail(d.error());
            layers.push_back(*d);
        }
        auto body = manifest_json(*config, layers);
        return FetchedDocument{body, media::oci_manifest, digest_of(body)};
    }

    Result<FetchedDocument> document(const Descriptor& d) override
    {
        return fail(ErrorKind::invalid_input, "{} has no manifest {}", what_, d.digest.to_string());
    }

    Result<std::filesystem::path> blob(const Descriptor& d, const BlobProgress& progress) override
    {
        auto found = files_.find(d.digest.hex);
        if (found == files_.end())
            return fail(ErrorKind::not_found, "{} lacks blob {}", what_, d.digest.to_string());
        if (progress)
            progress(d.size, d.size);
        return found->second;
    }

private:
    Result<Descriptor> add(const std::string& name, const char* media_type)
    {
        auto file = (scratch_.path() / name).lexically_normal();
        if (name.find("..") != std::string::npos || !file.string().starts_with(scratch_.path().string()))
            return fail(ErrorKind::invalid_input, "{}: manifest.json names {}, outside the archive", what_, name);
        auto digest = digest_of_file(file);
        if (!digest)
            return fail(ErrorKind::invalid_input, "{}: manifest.json names {}, which the archive lacks", what_, name);
        std::error_code ec;
        files_[digest->hex] = file;
        return Descriptor{media_type, *digest, std::filesystem::file_size(file, ec), std::nullopt, {}};
    }
    ScratchFolder scratch_;
    std::string what_;
    std::map<std::string, std::filesystem::path> files_;
};

// docker://: documents from the registry every time (tags move), blobs from the cache
// when it has them.
class RegistrySource : public ImageSource {
public:
    RegistrySource(Reference reference, const SourceOptions& options)
        : reference_(std::move(reference)), cache_(options.cache),
          registry_(reference_.registry, reference_.repository, options.registry)
    {
    }

    Result<FetchedDocument> top() override
    {
        return registry_.manifest(reference_.digest ? reference_.digest->to_string() : reference_.tag);
    }

    Result<FetchedDocument> document(const Descriptor& d) override { return registry_.manifest(d.digest.to_string()); }

    Result<std::filesystem::path> blob(const Descriptor& d, const BlobProgress& progress) override
    {
        auto file = cached_blob(cache_, d.digest);
        std::error_code ec;
        if (std::filesystem::is_regular_file(file, ec)) {
            if (progress)
                progress(d.size, d.size);
            return file;
        }
        if (auto made = create_private_directories(file.parent_path()); !made)
            return fail(made.error());
        remove_stale_temporaries(file.parent_path());
        auto pattern = temporary_pattern(file);
        int fd = ::mkstemp(pattern.data());
        if (fd < 0)
            return fail(ErrorKind::io, "cannot write in {}: {}", file.parent_path().string(), std::strerror(errno));
        ::close(fd);
        std::filesystem::path partial(pattern);
        auto fetched = registry_.blob(d.digest, partial, progress);
        if (!fetched || ::rename(partial.c_str(), file.c_str()) != 0) {
            std::filesystem::remove(partial, ec);
            return fetched ? fail(ErrorKind::io, "cannot keep {}: {}", file.string(), std::strerror(errno))
                           : fail(fetched.error());
        }
        return file;
    }

    bool remote() const override { return true; }

private:
    Reference reference_;
    std::filesystem::path cache_;
    Registry registry_;
};

} // namespace

std::filesystem::path cached_blob(const std::filesystem::path& cache, const Digest& digest)
{
    return cache / "oci" / "blobs" / "sha256" / digest.hex;
}

Result<std::unique_ptr<ImageSource>> open_source(const Reference& reference, const SourceOptions& options)
{
    auto what = reference.to_string();
    std::error_code ec;
    switch (reference.transport) {
    case Transport::oci_layout:
        if (!std::filesystem::is_directory(reference.path, ec))
            return fail(ErrorKind::not_found, "{}: {} is not a folder", what, reference.path.string());
        return std::unique_ptr<ImageSource>(
            std::make_unique<LayoutSource>(reference.path, reference.tag, what, std::nullopt));
    case Transport::oci_archive:
    case Transport::docker_archive: {
        if (!std::filesystem::is_regular_file(reference.path, ec))
            return fail(ErrorKind::not_found, "{}: {} does not exist", what, reference.path.string());
        auto scratch = ScratchFolder::make(options.cache, "unpacked");
        if (!scratch)
            return fail(scratch.error());
        if (auto unpacked = extract_tar(reference.path, scratch->path(), what, options.registry.cancelled); !unpacked)
            return fail(unpacked.error());
        if (reference.transport == Transport::docker_archive)
            return std::unique_ptr<ImageSource>(std::make_unique<DockerArchiveSource>(std::move(*scratch), what));
        auto folder = scratch->path();
        return std::unique_ptr<ImageSource>(
            std::make_unique<LayoutSource>(folder, reference.tag, what, std::move(*scratch)));
    }
    case Transport::registry:
        return std::unique_ptr<ImageSource>(std::make_unique<RegistrySource>(reference, options));
    }
    return fail(ErrorKind::usage, "unknown transport");
}

} // namespace uk::oci
