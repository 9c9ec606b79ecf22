// Content digests ("sha256:<64 hex>"), by which OCI names every blob, and checking that
// bytes are what their digest says.
#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace uk::oci {

struct Digest {
    std::string hex; // sha256, lower case
    std::string to_string() const { return "sha256:" + hex; }
    std::string short_form() const { return hex.substr(0, 12); }
    bool operator==(const Digest&) const = default;
};

// Only sha256, which every registry and tool uses; anything else is named as unsupported.
Result<Digest> parse_digest(std::string_view text);

Digest digest_of(std::string_view bytes);
Result<Digest> digest_of_file(const std::filesystem::path& file);

// The file's bytes hash to `expected`, or an error naming `what` and both digests.
Status verify_file(const std::filesystem::path& file, const Digest& expected, const std::string& what);

} // namespace uk::oci
