// A tiny HTTP/1.1 server on 127.0.0.1 for unit tests of HTTP clients: one request per
// connection, answered by a handler on its own thread. Enough for a registry's token
// dance, not for anything else.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace uk::test {

struct HttpRequest {
    std::string method;
    std::string target; // path and query
    std::map<std::string, std::string> headers; // names lower-cased
    std::string body;
};

struct HttpAnswer {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::string body;
};

class HttpServer {
public:
    explicit HttpServer(std::function<HttpAnswer(const HttpRequest&)> handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string base() const { return "127.0.0.1:" + std::to_string(port_); }
    std::vector<HttpRequest> requests() const;

private:
    void serve();
    std::function<HttpAnswer(const HttpRequest&)> handler_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_ = false;
    mutable std::mutex mutex_;
    std::vector<HttpRequest> requests_;
    std::thread thread_;
};

} // namespace uk::test
