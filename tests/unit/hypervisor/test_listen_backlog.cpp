#include "hypervisor/listen_backlog.hpp"

#include "core/files.hpp"
#include "support/ports.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace uk::hypervisor;

namespace {

// A child process holding a copy of the test's listening socket, as QEMU holds its
// published ports; killed and reaped when this goes.
class SocketHolder {
public:
    SocketHolder()
    {
        pid_ = ::fork();
        if (pid_ == 0) {
            for (;;)
                ::pause();
        }
    }
    ~SocketHolder()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    SocketHolder(const SocketHolder&) = delete;
    SocketHolder& operator=(const SocketHolder&) = delete;
    int pid() const { return pid_; }

private:
    int pid_ = -1;
};

uk::settings::PortMapping tcp_forward(std::uint16_t port)
{
    return uk::settings::PortMapping{.protocol = uk::settings::Protocol::tcp, .host_address = "127.0.0.1", .host_port = port, .guest_port = 80};
}

// How many connections wait in the accept queue of the listener on `port`: for a
// listening socket, /proc/net/tcp's rx_queue column is that count.
int accept_queue_length(std::uint16_t port)
{
    auto table = uk::read_file("/proc/self/net/tcp");
    REQUIRE(table);
    std::istringstream lines(*table);
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues;
        fields >> slot >> local >> remote >> state >> queues;
        if (state == "0A" && std::stoul(local.substr(local.rfind(':') + 1), nullptr, 16) == port)
            return static_cast<int>(std::stoul(queues.substr(queues.find(':') + 1), nullptr, 16));
    }
    return -1;
}

std::vector<int> connect_many(std::uint16_t port, int count)
{
    std::vector<int> sockets;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < count; ++i) {
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(s >= 0);
        ::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
        sockets.push_back(s);
    }
    return sockets;
}

} // namespace

TEST_CASE("listen backlog: QEMU's one-connection backlog on a published port is widened", "[unit][hypervisor]")
{
    uk::test::ListeningPort listener; // listens with a backlog of one, as libslirp does
    SocketHolder holder;
    REQUIRE(holder.pid() > 0);

    auto widened = widen_listen_backlogs(holder.pid(), {tcp_forward(listener.port())});
    REQUIRE(widened);
    CHECK(*widened == 1);

    // A backlog of one holds two connections; eight at once must all wait to be accepted.
    auto clients = connect_many(listener.port(), 8);
    int queued = 0;
    for (int round = 0; round < 200 && queued < 8; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        queued = accept_queue_length(listener.port());
    }
    CHECK(queued == 8);
    for (int s : clients)
        ::close(s);
}

TEST_CASE("listen backlog: nothing to widen before QEMU listens, or for UDP", "[unit][hypervisor]")
{
    SocketHolder holder;
    REQUIRE(holder.pid() > 0);
    auto none = widen_listen_backlogs(holder.pid(), {tcp_forward(uk::test::free_tcp_port())});
    REQUIRE(none);
    CHECK(*none == 0);

    auto udp = tcp_forward(8053);
    udp.protocol = uk::settings::Protocol::udp;
    auto ignored = widen_listen_backlogs(holder.pid(), {udp});
    REQUIRE(ignored);
    CHECK(*ignored == 0);
}

TEST_CASE("listen backlog: only user networking's TCP ports have listening sockets", "[unit][hypervisor]")
{
    auto udp = tcp_forward(5353);
    udp.protocol = uk::settings::Protocol::udp;
    auto forwards = uk::vm::tcp_ports(UserNetwork{{tcp_forward(8080), udp, tcp_forward(8443)}});
    REQUIRE(forwards.size() == 2);
    CHECK(forwards[0].host_port == 8080);
    CHECK(forwards[1].host_port == 8443);
    CHECK(uk::vm::tcp_ports(TapNetwork{"tap0"}).empty());
    CHECK(uk::vm::tcp_ports(NoNetwork{}).empty());
}
