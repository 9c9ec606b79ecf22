#include "oci/pull.hpp"

#include "core/files.hpp"

namespace uk::oci {

Result<PulledImage> pull_image(const Reference& reference, const SourceOptions& options, PullProgress* progress)
{
    auto what = reference.to_string();
    auto opened = open_source(reference, options);
    if (!opened)
        return fail(opened.error());
    std::shared_ptr<ImageSource> source(std::move(*opened));
    auto top = source->top();
    if (!top)
        return fail(top.error());
    auto document = parse_document(top->body, what);
    if (!document)
        return fail(document.error());
    auto fetched = *top;
    if (const auto* index = std::get_if<Index>(&*document)) {
        auto chosen = choose_platform(*index, what);
        if (!chosen)
            return fail(chosen.error());
        auto child = source->document(*chosen);
        if (!child)
            return fail(child.error());
        fetched = *child;
        document = parse_document(child->body, what + " (" + chosen->digest.to_string() + ")");
        if (!document)
            return fail(document.error());
        if (std::holds_alternative<Index>(*document))
            return fail(ErrorKind::invalid_input, "{}: an index inside an index, which uk does not follow", what);
    }
    PulledImage image;
    image.reference = reference;
    image.manifest_digest = fetched.digest;
    image.manifest = std::get<Manifest>(*document);
    image.source = source;

    auto config_file = source->blob(image.manifest.config, {});
    if (!config_file)
        return fail(config_file.error());
    auto config_text = read_file(*config_file);
    if (!config_text)
        return fail(config_text.error());
    auto config = parse_image_config(*config_text, what + " config");
    if (!config)
        return fail(config.error());
    if ((!config->os.empty() && config->os != "linux") ||
        (!config->architecture.empty() && config->architecture != "amd64"))
        return fail(ErrorKind::invalid_input, "{} is a {}/{} image: uk runs linux/amd64 (x86-64) programs", what,
                    config->os, config->architecture);
    image.config = *config;

    auto count = image.manifest.layers.size();
    for (std::size_t i = 0; i < count; i++) {
        const auto& layer = image.manifest.layers[i];
        if (layer.media_type.find("nondistributable") != std::string::npos || layer.media_type.ends_with("+encrypted"))
            return fail(ErrorKind::invalid_input, "{}: layer {} is {}, which uk cannot read", what,
                        layer.digest.to_string(), layer.media_type);
        if (progress)
            progress->layer_started(i, count, layer);
        auto file = source->blob(layer, [&](std::uint64_t done, std::uint64_t total) {
            if (progress)
                progress->layer_advanced(i, done, total ? total : layer.size);
        });
        if (!file)
            return fail(file.error());
        if (progress)
            progress->layer_finished(i);
        image.layers.push_back(*file);
        image.compressed_bytes += layer.size;
    }
    return image;
}

} // namespace uk::oci
