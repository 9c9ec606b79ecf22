// HTTP GET for tests (libcurl): one request per connection with short timeouts,
// because QEMU's user networking accepts connections before the guest is listening.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace uk::test {

struct HttpResponse {
    int status = 0;
    std::string body;
};

std::optional<HttpResponse> http_get(const std::string& host, std::uint16_t port, const std::string& path,
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

// Retries until a 200 arrives or the deadline passes.
std::optional<HttpResponse> wait_for_http_ok(const std::string& host, std::uint16_t port, const std::string& path,
                                             std::chrono::seconds deadline);

} // namespace uk::test
