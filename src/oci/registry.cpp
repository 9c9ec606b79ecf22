#include "oci/registry.hpp"

#include "http/client.hpp"

#include <nlohmann/json.hpp>

namespace uk::oci {

struct Registry::Sent {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
    std::string header(const std::string& name) const
    {
        auto found = headers.find(name);
        return found == headers.end() ? "" : found->second;
    }
};

namespace {

const char* manifest_types = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
                             "application/vnd.docker.distribution.manifest.list.v2+json, "
                             "application/vnd.docker.distribution.manifest.v2+json";

// The registry's words, from the OCI error document when there is one.
std::string registry_says(const std::string& body)
{
    auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_object() && json.contains("errors") && json["errors"].is_array() && !json["errors"].empty()) {
        const auto& first = json["errors"][0];
        auto code = first.value("code", "");
        auto message = first.value("message", "");
        return code + (message.empty() ? "" : ": " + message);
    }
    return "";
}

} // namespace

Registry::Registry(std::string registry, std::string repository, RegistryOptions options)
    : registry_(std::move(registry)), repository_(std::move(repository)), options_(std::move(options))
{
    api_host_ = registry_ == "docker.io" ? "registry-1.docker.io" : registry_;
    // A registry not verified over TLS is most often a plain-HTTP one (a local test
    // registry); HTTPS without checks is tried first, as skopeo does.
    if (!options_.tls_verify)
        scheme_ = "https";
}

std::string Registry::base() const { return scheme_ + "://" + api_host_ + "/v2/" + repository_; }

Error Registry::transport_error(const std::string& what, const std::string& why) const
{
    auto hint = options_.tls_verify && (why.find("SSL") != std::string::npos || why.find("TLS") != std::string::npos)
                    ? ": for a plain-HTTP registry give --tls-verify=false"
                    : ": check the address and that the registry is up";
    return Error{ErrorKind::unavailable, fmt::format("cannot reach registry {} ({}) to {}{}", registry_, why, what, hint)};
}

Result<Registry::Sent> Registry::send(const std::string& method, const std::string& path_or_url,
                                      std::vector<std::pair<std::string, std::string>> headers, const std::string& body,
                                      const std::optional<std::filesystem::path>& body_file,
                                      const std::optional<std::filesystem::path>& save_to, const BlobProgress& progress,
                                      bool push)
{
    bool answered_challenge = false;
    for (;;) {
        http::Request request;
        request.method = method;
        request.url = path_or_url.starts_with("http") ? path_or_url : base() + path_or_url;
        request.headers = headers;
        if (!authorization_.empty() && (!push || authorization_for_push_))
            request.headers.emplace_back("Authorization", authorization_);
        request.body = body;
        request.body_file = body_file;
        request.save_to = save_to;
        request.verify_tls = options_.tls_verify;
        request.stall_timeout = options_.stall_timeout;
        request.cancelled = options_.cancelled;
        request.progress = progress;
        auto response = http::perform(request);
        if (response.cancelled)
            return fail(ErrorKind::interrupted, "stopped while talking to registry {}", registry_);
        if (!response.transport_error.empty()) {
            // Not verifying TLS: a plain-HTTP registry answers HTTPS with garbage.
            if (!options_.tls_verify && !scheme_settled_ && scheme_ == "https") {
                scheme_ = "http";
                scheme_settled_ = true;
                continue;
            }
            return fail(transport_error(method == "GET" ? "read from it" : "write to it", response.transport_error));
        }
        scheme_settled_ = true;
        if (response.status == 401 && !answered_challenge) {
            if (auto authenticated = authenticate(response.header("www-authenticate"), push); !authenticated)
                return fail(authenticated.error());
            answered_challenge = true;
            continue;
        }
        if (response.status == 401 || response.status == 403) {
            auto says = registry_says(response.body);
            return fail(ErrorKind::unavailable,
                        "registry {} refused {} {} (HTTP {}{}): log in with podman login or docker login {}, or set "
                        "REGISTRY_AUTH_FILE",
                        registry_, push ? "pushing to" : "reading", repository_, response.status,
                        says.empty() ? "" : ", " + says, registry_);
        }
        return Sent{response.status, response.body, response.headers};
    }
}

Status Registry::authenticate(const std::string& header, bool push)
{
    auto challenge = parse_challenge(header);
    auto credentials = credentials_for(registry_, options_.environment);
    if (!challenge)
        return fail(ErrorKind::unavailable, "registry {} asked for credentials without saying how (no WWW-Authenticate)",
                    registry_);
    if (challenge->scheme == "basic") {
        if (!credentials)
            return fail(ErrorKind::unavailable,
                        "registry {} wants a user and password: log in with podman login or docker login {}, or set "
                        "REGISTRY_AUTH_FILE",
                        registry_, registry_);
        authorization_ = http::basic_authorization(credentials->user, credentials->password);
        authorization_for_push_ = true;
        return {};
    }
    if (challenge->scheme != "bearer" || !challenge->parameters.contains("realm"))
        return fail(ErrorKind::unavailable, "registry {} asked for \"{}\" authentication, which uk does not speak",
                    registry_, challenge->scheme);
    // The scope asked for: what this repository needs (pull, or pull and push).
    auto scope = "repository:" + repository_ + (push ? ":pull,push" : ":pull");
    auto url = challenge->parameters["realm"];
    url += (url.find('?') == std::string::npos ? "?" : "&");
    if (challenge->parameters.contains("service"))
        url += "service=" + http::url_encode(challenge->parameters["service"]) + "&";
    url += "scope=" + http::url_encode(scope);
    http::Request request;
    request.url = url;
    request.verify_tls = options_.tls_verify;
    request.cancelled = options_.cancelled;
    request.stall_timeout = options_.stall_timeout;
    if (credentials)
        request.headers.emplace_back("Authorization", http::basic_authorization(credentials->user, credentials->password));
    auto response = http::perform(request);
    if (response.cancelled)
        return fail(ErrorKind::interrupted, "stopped while talking to registry {}", registry_);
    if (!response.transport_error.empty())
        return fail(ErrorKind::unavailable, "cannot reach {} for a token for registry {} ({})",
                    challenge->parameters["realm"], registry_, response.transport_error);
    if (response.status != 200)
        return fail(ErrorKind::unavailable,
                    "registry {} gave no token for {} (HTTP {}){}", registry_, scope, response.status,
                    credentials ? " with the credentials in " + credentials->from.string()
                                : ": log in with podman login or docker login " + registry_);
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    std::string token = json.is_object() ? json.value("token", json.value("access_token", "")) : "";
    if (token.empty())
        return fail(ErrorKind::unavailable, "registry {}'s token service answered without a token", registry_);
    authorization_ = "Bearer " + token;
    authorization_for_push_ = push;
    return {};
}

Result<FetchedDocument> Registry::manifest(const std::string& tag_or_digest)
{
    auto sent = send("GET", "/manifests/" + tag_or_digest, {{"Accept", manifest_types}});
    if (!sent)
        return fail(sent.error());
    if (sent->status == 404)
        return fail(ErrorKind::not_found, "registry {} has no {}:{} (HTTP 404)", registry_, repository_, tag_or_digest);
    if (sent->status != 200) {
        auto says = registry_says(sent->body);
        return fail(ErrorKind::unavailable, "registry {} answered HTTP {} for {}:{}{}", registry_, sent->status,
                    repository_, tag_or_digest, says.empty() ? "" : " (" + says + ")");
    }
    FetchedDocument document{sent->body, sent->header("content-type"), digest_of(sent->body)};
    if (auto wanted = parse_digest(tag_or_digest); wanted && *wanted != document.digest)
        return fail(ErrorKind::invalid_input,
                    "registry {} sent a manifest for {}@{} whose digest is {} (damaged or tampered with)", registry_,
                    repository_, tag_or_digest, document.digest.to_string());
    return document;
}

Status Registry::blob(const Digest& digest, const std::filesystem::path& file, const BlobProgress& progress)
{
    auto sent = send("GET", "/blobs/" + digest.to_string(), {}, {}, {}, file, progress);
    if (!sent)
        return fail(sent.error());
    if (sent->status != 200)
        return fail(sent->status == 404 ? ErrorKind::not_found : ErrorKind::unavailable,
                    "registry {} answered HTTP {} for blob {} of {}", registry_, sent->status, digest.to_string(),
                    repository_);
    return verify_file(file, digest, "blob " + digest.to_string() + " from registry " + registry_);
}

Result<bool> Registry::has_blob(const Digest& digest)
{
    auto sent = send("HEAD", "/blobs/" + digest.to_string(), {}, {}, {}, {}, {}, true);
    if (!sent)
        return fail(sent.error());
    return sent->status == 200;
}

Status Registry::push_blob(const std::filesystem::path& file, const Digest& digest, const BlobProgress& progress)
{
    return upload(digest, {}, file, progress);
}

Status Registry::push_blob(const std::string& bytes, const Digest& digest) { return upload(digest, bytes, {}, {}); }

// A monolithic upload: POST for a session, then one PUT with the digest.
Status Registry::upload(const Digest& digest, const std::string& bytes, const std::optional<std::filesystem::path>& file,
                        const BlobProgress& progress)
{
    auto started = send("POST", "/blobs/uploads/", {}, {}, {}, {}, {}, true);
    if (!started)
        return fail(started.error());
    auto location = started->header("location");
    if (started->status != 202 || location.empty())
        return fail(ErrorKind::unavailable, "registry {} did not start an upload to {} (HTTP {}{})", registry_,
                    repository_, started->status,
                    registry_says(started->body).empty() ? "" : ", " + registry_says(started->body));
    if (location.starts_with("/"))
        location = scheme_ + "://" + api_host_ + location;
    location += (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") +
                http::url_encode(digest.to_string());
    auto put = send("PUT", location, {{"Content-Type", "application/octet-stream"}}, bytes, file, {}, progress, true);
    if (!put)
        return fail(put.error());
    if (put->status != 201)
        return fail(ErrorKind::unavailable, "registry {} refused blob {} (HTTP {}{})", registry_, digest.to_string(),
                    put->status, registry_says(put->body).empty() ? "" : ", " + registry_says(put->body));
    return {};
}

Result<Digest> Registry::push_manifest(const std::string& tag, const std::string& body, const std::string& media_type)
{
    auto put = send("PUT", "/manifests/" + tag, {{"Content-Type", media_type}}, body, {}, {}, {}, true);
    if (!put)
        return fail(put.error());
    if (put->status != 201 && put->status != 200)
        return fail(ErrorKind::unavailable, "registry {} refused the manifest for {}:{} (HTTP {}{})", registry_,
                    repository_, tag, put->status,
                    registry_says(put->body).empty() ? "" : ", " + registry_says(put->body));
    return digest_of(body);
}

} // namespace uk::oci
