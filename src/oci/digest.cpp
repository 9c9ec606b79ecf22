#include "oci/digest.hpp"

#include "core/files.hpp"
#include "core/sha256.hpp"

#include <fstream>

namespace uk::oci {

Result<Digest> parse_digest(std::string_view text)
{
    if (!text.starts_with("sha256:"))
        return fail(ErrorKind::invalid_input, "digest \"{}\" is not sha256:<64 hex digits> (uk checks sha256 only)",
                    text);
    auto hex = text.substr(7);
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
        return fail(ErrorKind::invalid_input, "digest \"{}\" is not sha256:<64 hex digits>", text);
    return Digest{std::string(hex)};
}

Digest digest_of(std::string_view bytes) { return Digest{sha256_hex(as_bytes(bytes))}; }

Result<Digest> digest_of_file(const std::filesystem::path& file)
{
    auto hex = sha256_file(file);
    if (!hex)
        return fail(hex.error());
    return Digest{*hex};
}

Status verify_file(const std::filesystem::path& file, const Digest& expected, const std::string& what)
{
    auto actual = digest_of_file(file);
    if (!actual)
        return fail(actual.error());
    if (*actual != expected)
        return fail(ErrorKind::invalid_input, "{} does not match its digest: expected {}, got {} (damaged or tampered "
                                              "with)",
                    what, expected.to_string(), actual->to_string());
    return {};
}

} // namespace uk::oci
