#include "upload/sigv4.hpp"

#include "core/files.hpp"
#include "core/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace uk::upload {

std::string hmac_sha256(const std::string& key, const std::string& data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &length);
    return std::string(reinterpret_cast<const char*>(out), length);
}

std::string hex(const std::string& bytes)
{
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (char byte : bytes) {
        auto c = static_cast<unsigned char>(byte);
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string uri_encode(const std::string& text, bool keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    for (char byte : text) {
        auto c = static_cast<unsigned char>(byte);
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '_' || c == '.' || c == '~';
        if (unreserved || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

std::string canonical_query(const std::map<std::string, std::string>& query)
{
    std::map<std::string, std::string> encoded; // sorted by encoded name
    for (const auto& [name, value] : query)
        encoded[uri_encode(name, false)] = uri_encode(value, false);
    std::string out;
    for (const auto& [name, value] : encoded)
        out += (out.empty() ? "" : "&") + name + "=" + value;
    return out;
}

std::map<std::string, std::string> sign(const SignedRequest& r, const Credentials& credentials)
{
    std::map<std::string, std::string> headers{
        {"host", r.host}, {"x-amz-content-sha256", r.payload_sha256}, {"x-amz-date", r.amz_date}};
    if (!credentials.session_token.empty())
        headers["x-amz-security-token"] = credentials.session_token;
    std::string canonical_headers, signed_headers;
    for (const auto& [name, value] : headers) { // std::map: sorted, names already lower-case
        canonical_headers += name + ":" + value + "\n";
        signed_headers += (signed_headers.empty() ? "" : ";") + name;
    }
    auto canonical_request = r.method + "\n" + uri_encode(r.path, true) + "\n" + canonical_query(r.query) + "\n" +
                             canonical_headers + "\n" + signed_headers + "\n" + r.payload_sha256;
    auto date = r.amz_date.substr(0, 8);
    auto scope = date + "/" + r.region + "/s3/aws4_request";
    auto string_to_sign = "AWS4-HMAC-SHA256\n" + r.amz_date + "\n" + scope + "\n" + sha256_hex(as_bytes(canonical_request));
    auto key = hmac_sha256("AWS4" + credentials.secret_access_key, date);
    key = hmac_sha256(key, r.region);
    key = hmac_sha256(key, "s3");
    key = hmac_sha256(key, "aws4_request");
    headers["authorization"] = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                               ", SignedHeaders=" + signed_headers +
                               ", Signature=" + hex(hmac_sha256(key, string_to_sign));
    return headers;
}

} // namespace uk::upload
