#include "support/ports.hpp"

#include "support/tools.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace uk::test {

namespace {

// Binds (and optionally listens) on a kernel-chosen port of 127.0.0.1.
int bind_loopback(std::uint16_t& port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
        getsockname(s, reinterpret_cast<sockaddr*>(&address), &length) < 0) {
        if (s >= 0)
            close(s);
        throw std::runtime_error("cannot bind a port on 127.0.0.1");
    }
    port = ntohs(address.sin_port);
    return s;
}

} // namespace

ListeningPort::ListeningPort() : fd_(bind_loopback(port_))
{
    if (listen(fd_, 1) < 0) {
        close(fd_);
        throw std::runtime_error("cannot listen on 127.0.0.1");
    }
}

ListeningPort::~ListeningPort() { close(fd_); }

std::uint16_t free_tcp_port()
{
    std::uint16_t port = 0;
    close(bind_loopback(port));
    return port;
}

int listen_backlog(std::uint16_t port)
{
    auto listed = run_tool({"ss", "-Hltn", "sport = :" + std::to_string(port)});
    std::istringstream fields(listed.output);
    std::string state;
    int queued = 0, backlog = -1;
    if (listed.status != 0 || !(fields >> state >> queued >> backlog) || state != "LISTEN")
        return -1;
    return backlog;
}

SilentServer::SilentServer()
{
    fd_ = bind_loopback(port_);
    ::listen(fd_, 8);
    thread_ = std::thread([this] {
        for (;;) {
            int client = ::accept(fd_, nullptr, nullptr);
            if (client < 0)
                return;
            clients_.push_back(client);
            accepted_++;
        }
    });
}

SilentServer::~SilentServer()
{
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (int client : clients_)
        ::close(client);
}

} // namespace uk::test
