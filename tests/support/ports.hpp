#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace uk::test {

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it).
std::uint16_t free_tcp_port();

// The backlog of the socket listening on TCP `port`, as `ss -ltn` shows it (its Send-Q
// column), or -1 when nothing listens there.
int listen_backlog(std::uint16_t port);

// A TCP port on 127.0.0.1 that something is listening on, for as long as this lives.
class ListeningPort {
public:
    ListeningPort();
    ~ListeningPort();
    ListeningPort(const ListeningPort&) = delete;
    ListeningPort& operator=(const ListeningPort&) = delete;
    std::uint16_t port() const { return port_; }

private:
    std::uint16_t port_ = 0; // before fd_: the constructor fills it while opening fd_
    int fd_ = -1;
};

// A server on 127.0.0.1 that accepts connections and never says a word: an endpoint that
// hangs.
class SilentServer {
public:
    SilentServer();
    ~SilentServer();
    SilentServer(const SilentServer&) = delete;
    SilentServer& operator=(const SilentServer&) = delete;
    std::uint16_t port() const { return port_; }
    int accepted() const { return accepted_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<int> accepted_ = 0;
    std::vector<int> clients_;
    std::thread thread_;
};

} // namespace uk::test
