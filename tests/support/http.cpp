#include "support/http.hpp"

#include <curl/curl.h>
#include <memory>
#include <thread>

namespace uk::test {
namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out)
{
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

} // namespace

std::optional<HttpResponse> http_get(const std::string& host, std::uint16_t port, const std::string& path,
                                     std::chrono::milliseconds timeout)
{
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl)
        return std::nullopt;
    std::string url = "http://" + host + ":" + std::to_string(port) + path;
    HttpResponse response;
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl.get(), CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response.body);
    if (curl_easy_perform(curl.get()) != CURLE_OK)
        return std::nullopt;
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
}

std::optional<HttpResponse> wait_for_http_ok(const std::string& host, std::uint16_t port, const std::string& path,
                                             std::chrono::seconds deadline)
{
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        auto response = http_get(host, port, path, std::chrono::milliseconds(500));
        if (response && response->status == 200)
            return response;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
}

} // namespace uk::test
