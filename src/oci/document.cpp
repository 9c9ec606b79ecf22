#include "oci/document.hpp"

#include <nlohmann/json.hpp>

namespace uk::oci {
namespace {

using nlohmann::json;

Result<Descriptor> descriptor_from(const json& j, const std::string& what)
{
    if (!j.is_object() || !j.contains("digest") || !j["digest"].is_string())
        return fail(ErrorKind::invalid_input, "{}: a descriptor without a digest", what);
    auto digest = parse_digest(j["digest"].get<std::string>());
    if (!digest)
        return fail(ErrorKind::invalid_input, "{}: {}", what, digest.error().message);
    Descriptor d;
    d.digest = *digest;
    d.media_type = j.value("mediaType", "");
    if (j.contains("size") && j["size"].is_number_unsigned())
        d.size = j["size"].get<std::uint64_t>();
    if (j.contains("platform") && j["platform"].is_object()) {
        const auto& p = j["platform"];
        d.platform = Platform{p.value("os", ""), p.value("architecture", ""), p.value("variant", "")};
    }
    if (j.contains("annotations") && j["annotations"].is_object())
        for (const auto& [key, value] : j["annotations"].items())
            if (value.is_string())
                d.annotations[key] = value.get<std::string>();
    return d;
}

std::vector<std::string> strings_of(const json& j)
{
    std::vector<std::string> out;
    if (j.is_array())
        for (const auto& item : j)
            if (item.is_string())
                out.push_back(item.get<std::string>());
    return out;
}

json descriptor_json(const Descriptor& d)
{
    json j{{"mediaType", d.media_type}, {"digest", d.digest.to_string()}, {"size", d.size}};
    if (!d.annotations.empty())
        j["annotations"] = d.annotations;
    return j;
}

} // namespace

Result<Document> parse_document(const std::string& text, const std::string& what)
{
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return fail(ErrorKind::invalid_input, "{} is not JSON", what);
    auto media_type = j.value("mediaType", "");
    bool is_index = media_type == media::oci_index || media_type == media::docker_list ||
                    (media_type.empty() && j.contains("manifests"));
    if (is_index) {
        Index index;
        for (const auto& item : j.value("manifests", json::array())) {
            auto d = descriptor_from(item, what);
            if (!d)
                return fail(d.error());
            index.manifests.push_back(*d);
        }
        return Document(index);
    }
    if (!j.contains("config") || !j.contains("layers"))
        return fail(ErrorKind::invalid_input, "{} is neither an image index nor an image manifest{}", what,
                    j.value("schemaVersion", 0) == 1 ? " (Docker's old schema 1, which uk does not read)" : "");
    Manifest manifest;
    manifest.media_type = media_type.empty() ? media::oci_manifest : media_type;
    auto config = descriptor_from(j["config"], what + " (config)");
    if (!config)
        return fail(config.error());
    manifest.config = *config;
    for (const auto& item : j["layers"]) {
        auto d = descriptor_from(item, what + " (layer)");
        if (!d)
            return fail(d.error());
        manifest.layers.push_back(*d);
    }
    if (j.contains("annotations") && j["annotations"].is_object())
        for (const auto& [key, value] : j["annotations"].items())
            if (value.is_string())
                manifest.annotations[key] = value.get<std::string>();
    return Document(manifest);
}

Result<Descriptor> choose_platform(const Index& index, const std::string& what)
{
    std::vector<std::string> offered;
    for (const auto& d : index.manifests) {
        // Attestations and signatures sit beside the images with an "unknown" platform.
        if (!d.platform || d.platform->os == "unknown")
            continue;
        if (d.platform->os == "linux" && d.platform->architecture == "amd64")
            return d;
        offered.push_back(d.platform->to_string());
    }
    // An index without platforms (a single-image layout) is taken at its word.
    if (offered.empty() && index.manifests.size() == 1)
        return index.manifests.front();
    std::string list;
    for (const auto& p : offered)
        list += (list.empty() ? "" : ", ") + p;
    return fail(ErrorKind::invalid_input, "{} has no linux/amd64 image (it has {}): uk runs x86-64 programs", what,
                list.empty() ? "none with a platform" : list);
}

Result<ImageConfig> parse_image_config(const std::string& text, const std::string& what)
{
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return fail(ErrorKind::invalid_input, "{} is not JSON", what);
    ImageConfig config;
    config.os = j.value("os", "");
    config.architecture = j.value("architecture", "");
    if (j.contains("config") && j["config"].is_object()) {
        const auto& c = j["config"];
        if (c.contains("Entrypoint") && c["Entrypoint"].is_array())
            config.entrypoint = strings_of(c["Entrypoint"]);
        if (c.contains("Cmd") && c["Cmd"].is_array())
            config.cmd = strings_of(c["Cmd"]);
        config.env = strings_of(c.value("Env", json::array()));
        config.working_dir = c.value("WorkingDir", "");
        config.user = c.value("User", "");
        if (c.contains("ExposedPorts") && c["ExposedPorts"].is_object())
            for (const auto& [port, ignored] : c["ExposedPorts"].items())
                config.exposed_ports.push_back(port);
        if (c.contains("Labels") && c["Labels"].is_object())
            for (const auto& [key, value] : c["Labels"].items())
                if (value.is_string())
                    config.labels[key] = value.get<std::string>();
    }
    if (j.contains("rootfs") && j["rootfs"].is_object())
        for (const auto& id : strings_of(j["rootfs"].value("diff_ids", json::array())))
            if (auto digest = parse_digest(id))
                config.diff_ids.push_back(*digest);
    return config;
}

std::string container_disk_config(const Digest& diff_id, const std::string& created)
{
    json j{{"architecture", "amd64"},
           {"os", "linux"},
           {"created", created},
           {"config", {{"Labels", {{"org.opencontainers.image.description", "a uk image as a KubeVirt containerDisk"}}}}},
           {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id.to_string()}}}}};
    return j.dump();
}

std::string manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers)
{
    json j{{"schemaVersion", 2}, {"mediaType", media::oci_manifest}, {"config", descriptor_json(config)}};
    j["layers"] = json::array();
    for (const auto& layer : layers)
        j["layers"].push_back(descriptor_json(layer));
    return j.dump();
}

} // namespace uk::oci
