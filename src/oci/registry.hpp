// The OCI distribution API over HTTP(S): manifests and blobs of one repository, read and
// written, with the registry's token or basic authentication handled on the way.
#pragma once

#include "core/error.hpp"
#include "oci/auth.hpp"
#include "oci/digest.hpp"
#include "state/paths.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace uk::oci {

struct RegistryOptions {
    bool tls_verify = true; // false: HTTPS without checking the certificate, else plain HTTP
    state::Environment environment; // for credentials
    std::function<bool()> cancelled = [] { return false; };
    std::chrono::seconds stall_timeout{30};
};

using BlobProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct FetchedDocument {
    std::string body;
    std::string media_type;
    Digest digest; // of the body
};

class Registry {
public:
    Registry(std::string registry, std::string repository, RegistryOptions options);

    // By tag or by digest (then checked against it).
    Result<FetchedDocument> manifest(const std::string& tag_or_digest);
    // Into `file`, checked against the digest.
    Status blob(const Digest& digest, const std::filesystem::path& file, const BlobProgress& progress);

    Result<bool> has_blob(const Digest& digest);
    Status push_blob(const std::filesystem::path& file, const Digest& digest, const BlobProgress& progress);
    Status push_blob(const std::string& bytes, const Digest& digest);
    // Returns the registry's digest of it.
    Result<Digest> push_manifest(const std::string& tag, const std::string& body, const std::string& media_type);

    const std::string& name() const { return registry_; }

private:
    struct Sent;
    Result<Sent> send(const std::string& method, const std::string& path_or_url,
                      std::vector<std::pair<std::string, std::string>> headers, const std::string& body = {},
                      const std::optional<std::filesystem::path>& body_file = {},
                      const std::optional<std::filesystem::path>& save_to = {}, const BlobProgress& progress = {},
                      bool push = false);
    Status authenticate(const std::string& challenge_header, bool push);
    Status upload(const Digest& digest, const std::string& bytes, const std::optional<std::filesystem::path>& file,
                  const BlobProgress& progress);
    std::string base() const;
    Error transport_error(const std::string& what, const std::string& why) const;

    std::string registry_;
    std::string api_host_;
    std::string repository_;
    RegistryOptions options_;
    std::string scheme_ = "https";
    bool scheme_settled_ = false;
    std::string authorization_; // the header's value once known
    bool authorization_for_push_ = false;
};

} // namespace uk::oci
