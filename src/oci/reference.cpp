#include "oci/reference.hpp"

#include <cctype>

namespace uk::oci {
namespace {

constexpr std::string_view docker_hub = "docker.io";

Error bad(std::string_view text, const std::string& why)
{
    return Error{ErrorKind::usage,
                 fmt::format("image reference \"{}\": {}; expected oci:PATH[:TAG], oci-archive:PATH[:TAG], "
                             "docker-archive:PATH or docker://HOST/NAME[:TAG|@sha256:DIGEST]",
                             text, why)};
}

bool valid_repository(std::string_view name)
{
    if (name.empty() || name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos)
        return false;
    for (char c : name)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
              c == '.' || c == '_' || c == '-' || c == '/'))
            return false;
    return true;
}

bool valid_tag(std::string_view tag)
{
    if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-')
        return false;
    for (char c : tag)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
            return false;
    return true;
}

// PATH[:TAG]: the tag is what follows the last ':' when that is not part of the path.
void split_path_tag(std::string_view rest, Reference& reference)
{
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find('/', colon) == std::string_view::npos) {
        reference.path = std::string(rest.substr(0, colon));
        reference.tag = rest.substr(colon + 1);
    } else {
        reference.path = std::string(rest);
    }
}

Result<Reference> parse_registry(std::string_view text, std::string_view rest)
{
    Reference reference;
    reference.transport = Transport::registry;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        auto digest = parse_digest(rest.substr(at + 1));
        if (!digest)
            return fail(bad(text, digest.error().message));
        reference.digest = *digest;
        rest = rest.substr(0, at);
    }
    auto slash = rest.find('/');
    auto first = rest.substr(0, slash);
    // A first part with a '.' or a ':' (or localhost) is a registry host, as docker reads it.
    if (slash != std::string_view::npos &&
        (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos || first == "localhost")) {
        reference.registry = first;
        rest = rest.substr(slash + 1);
    } else {
        reference.registry = docker_hub;
    }
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
        reference.tag = rest.substr(colon + 1);
        rest = rest.substr(0, colon);
        if (!valid_tag(reference.tag))
            return fail(bad(text, fmt::format("\"{}\" is not a tag", reference.tag)));
    }
    if (!valid_repository(rest))
        return fail(bad(text, fmt::format("\"{}\" is not a repository name (lower-case letters, digits, . _ - /)", rest)));
    reference.repository = rest;
    if (reference.registry == docker_hub && reference.repository.find('/') == std::string::npos)
        reference.repository = "library/" + reference.repository;
    if (reference.tag.empty() && !reference.digest)
        reference.tag = "latest";
    return reference;
}

} // namespace

bool is_image_reference(std::string_view text)
{
    for (std::string_view prefix : {"oci:", "oci-archive:", "docker-archive:", "docker://"})
        if (text.starts_with(prefix))
            return true;
    return false;
}

Result<Reference> parse_reference(std::string_view text)
{
    Reference reference;
    if (text.starts_with("docker://"))
        return parse_registry(text, text.substr(9));
    if (text.starts_with("oci-archive:")) {
        reference.transport = Transport::oci_archive;
        split_path_tag(text.substr(12), reference);
    } else if (text.starts_with("oci:")) {
        reference.transport = Transport::oci_layout;
        split_path_tag(text.substr(4), reference);
    } else if (text.starts_with("docker-archive:")) {
        reference.transport = Transport::docker_archive;
        reference.path = std::string(text.substr(15));
    } else {
        return fail(bad(text, "no transport"));
    }
    if (reference.path.empty())
        return fail(bad(text, "no path"));
    if (!reference.tag.empty() && !valid_tag(reference.tag))
        return fail(bad(text, fmt::format("\"{}\" is not a tag", reference.tag)));
    return reference;
}

std::string Reference::to_string() const
{
    switch (transport) {
    case Transport::oci_layout: return "oci:" + path.string() + (tag.empty() ? "" : ":" + tag);
    case Transport::oci_archive: return "oci-archive:" + path.string() + (tag.empty() ? "" : ":" + tag);
    case Transport::docker_archive: return "docker-archive:" + path.string();
    case Transport::registry:
        return "docker://" + registry + "/" + repository + (tag.empty() ? "" : ":" + tag) +
               (digest ? "@" + digest->to_string() : "");
    }
    return {};
}

std::string Reference::short_name() const
{
    if (transport == Transport::registry)
        return repository.substr(repository.rfind('/') + 1);
    auto stem = path.filename().string();
    if (stem.empty())
        stem = path.parent_path().filename().string();
    if (auto dot = stem.find('.'); dot != std::string::npos && dot > 0)
        stem = stem.substr(0, dot);
    return stem;
}

} // namespace uk::oci
