// One HTTP exchange over libcurl, for the registry client (oci/) and whatever else talks
// to a server: a body from memory or a file, an answer into memory or a file, and the
// same care everywhere: no total timeout but a stall timeout (a request in which no byte
// moves), Ctrl-C noticed at once, progress for bars.
#pragma once

#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace uk::http {

struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;                             // sent when body_file is empty
    std::optional<std::filesystem::path> body_file; // sent from this file instead
    std::optional<std::filesystem::path> save_to;   // the answer's body goes here, not in memory
    bool follow_redirects = true;
    bool verify_tls = true;
    std::chrono::seconds stall_timeout{30};
    std::function<bool()> cancelled = [] { return false; };
    // Bytes received (or sent) so far, and the total when known (else 0).
    std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct Response {
    long status = 0;
    std::map<std::string, std::string> headers; // names lower-case; the last of a repeated one
    std::string body;
    std::string effective_url;
    // Set when no answer came: why (libcurl's words), and whether it was a stop or a stall.
    std::string transport_error;
    bool cancelled = false;
    bool stalled = false;
    bool tls_failed = false;
    std::string header(const std::string& name) const; // "" when absent
};

// Never fails as a Result: a transport failure is in the Response, for the caller to word.
Response perform(const Request& request);

// "Basic dXNlcjpwYXNz": base64 of "user:password".
std::string basic_authorization(const std::string& user, const std::string& password);
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// Percent-encodes a query value.
std::string url_encode(std::string_view text);

} // namespace uk::http
