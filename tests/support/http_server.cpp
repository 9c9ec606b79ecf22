#include "support/http_server.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace uk::test {
namespace {

std::string lower(std::string text)
{
    for (auto& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

bool read_request(int client, HttpRequest& request)
{
    std::string data;
    char buffer[65536];
    std::size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
        auto n = ::recv(client, buffer, sizeof buffer, 0);
        if (n <= 0)
            return false;
        data.append(buffer, static_cast<std::size_t>(n));
        header_end = data.find("\r\n\r\n");
    }
    auto head = data.substr(0, header_end);
    auto first_end = head.find("\r\n");
    auto first = head.substr(0, first_end);
    auto space = first.find(' ');
    request.method = first.substr(0, space);
    request.target = first.substr(space + 1, first.rfind(' ') - space - 1);
    std::size_t at = first_end == std::string::npos ? head.size() : first_end + 2;
    while (at < head.size()) {
        auto end = head.find("\r\n", at);
        if (end == std::string::npos)
            end = head.size();
        auto line = head.substr(at, end - at);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            auto value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            request.headers[lower(line.substr(0, colon))] = value;
        }
        at = end + 2;
    }
    request.body = data.substr(header_end + 4);
    std::size_t length = request.headers.contains("content-length") ? std::stoul(request.headers["content-length"]) : 0;
    while (request.body.size() < length) {
        auto n = ::recv(client, buffer, sizeof buffer, 0);
        if (n <= 0)
            return false;
        request.body.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

void send_all(int client, const std::string& bytes)
{
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        auto n = ::send(client, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        sent += static_cast<std::size_t>(n);
    }
}

} // namespace

HttpServer::HttpServer(std::function<HttpAnswer(const HttpRequest&)> handler) : handler_(std::move(handler))
{
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_, 16) != 0)
        throw std::runtime_error("test HTTP server: cannot listen");
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
}

HttpServer::~HttpServer()
{
    stopping_ = true;
    thread_.join();
    ::close(fd_);
}

std::vector<HttpRequest> HttpServer::requests() const
{
    std::lock_guard lock(mutex_);
    return requests_;
}

void HttpServer::serve()
{
    while (!stopping_) {
        pollfd waiting{fd_, POLLIN, 0};
        if (::poll(&waiting, 1, 50) <= 0)
            continue;
        int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0)
            continue;
        HttpRequest request;
        if (read_request(client, request)) {
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(request);
            }
            auto answer = handler_(request);
            std::string response = "HTTP/1.1 " + std::to_string(answer.status) + " X\r\nConnection: close\r\n";
            answer.headers["Content-Length"] = std::to_string(answer.body.size());
            for (const auto& [name, value] : answer.headers)
                response += name + ": " + value + "\r\n";
            response += "\r\n";
            if (request.method != "HEAD")
                response += answer.body;
            send_all(client, response);
        }
        ::close(client);
    }
}

} // namespace uk::test
