// AWS Signature Version 4 for S3 requests, as a pure function of the request, the
// credentials and the time, so it is checked against AWS's published example.
#pragma once

#include <map>
#include <string>

namespace uk::upload {

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token; // empty unless temporary credentials
};

struct SignedRequest {
    std::string method;                        // GET, PUT, POST
    std::string host;                          // "bucket.s3.eu-west-1.amazonaws.com" or "127.0.0.1:4568"
    std::string path;                          // "/key" or "/bucket/key", not yet encoded
    std::map<std::string, std::string> query;  // not yet encoded; "uploads" -> ""
    std::string payload_sha256;                // hex
    std::string region;
    std::string amz_date;                      // "20261123T165000Z"
};

// The headers to send: host, x-amz-date, x-amz-content-sha256, x-amz-security-token
// (with a session token) and authorization.
std::map<std::string, std::string> sign(const SignedRequest& request, const Credentials& credentials);

// RFC 3986 encoding as SigV4 wants it ('/' kept in paths when keep_slash).
std::string uri_encode(const std::string& text, bool keep_slash);
std::string canonical_query(const std::map<std::string, std::string>& query);

std::string hmac_sha256(const std::string& key, const std::string& data); // raw bytes
std::string hex(const std::string& bytes);

} // namespace uk::upload
