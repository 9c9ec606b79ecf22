#include "hypervisor/usernet_readiness.hpp"

#include "core/unique_fd.hpp"
#include "hypervisor/qmp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace uk::hypervisor {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A connection to the published port, open only while QEMU is asked about it.
class Probe {
public:
    explicit Probe(const settings::PortMapping& forward)
    {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(forward.host_port);
        auto host = forward.host_address == "0.0.0.0" ? std::string("127.0.0.1") : forward.host_address;
        inet_pton(AF_INET, host.c_str(), &address.sin_addr);
        fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (fd_ && ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            fd_.reset();
    }
    bool connected() const { return bool(fd_); }
    // Bytes came from the other end: only a guest that accepted sends any.
    bool received() const
    {
        char byte;
        return fd_ && ::recv(fd_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
    }

private:
    UniqueFd fd_;
};

} // namespace

bool guest_accepted(const std::string& usernet, std::uint16_t guest_port)
{
    // Every state past the handshake: a server that answers and closes at once is seen in
    // CLOSE_WAIT, LAST_ACK or TIME_WAIT as often as in ESTABLISHED.
    static constexpr const char* accepted[] = {"TCP[ESTABLISHED]", "TCP[CLOSE_WAIT]", "TCP[FIN_WAIT_1]",
                                               "TCP[FIN_WAIT_2]",  "TCP[CLOSING]",    "TCP[LAST_ACK]",
                                               "TCP[TIME_WAIT]"};
    std::istringstream lines(usernet);
    for (std::string line; std::getline(lines, line);) {
        bool past_handshake = false;
        for (const char* state : accepted)
            past_handshake = past_handshake || line.find(state) != std::string::npos;
        if (!past_handshake)
            continue;
        std::istringstream words(line);
        std::vector<std::string> fields;
        for (std::string word; words >> word;)
            fields.push_back(word);
        // Protocol[State] FD SourceAddress Port DestAddress Port RecvQ SendQ
        if (fields.size() >= 6 && fields[5] == std::to_string(guest_port))
            return true;
    }
    return false;
}


Result<vm::Readiness> wait_until_guest_accepts(const std::filesystem::path& qmp_socket,
                                               const settings::PortMapping& forward, std::chrono::milliseconds timeout,
                                               const std::function<bool()>& alive)
{
    using vm::Readiness;
    auto deadline = Clock::now() + timeout;
    // QEMU going away closes its socket a moment before it is gone: that is an end, not
    // an error.
    auto ended_or = [&](const Error& error) -> Result<Readiness> {
        for (auto until = Clock::now() + 2s; Clock::now() < until; std::this_thread::sleep_for(20ms))
            if (!alive())
                return Readiness::vm_ended;
        return fail(error);
    };
    auto qmp = QmpClient::connect(qmp_socket, 10s);
    if (!qmp)
        return ended_or(qmp.error());
    while (Clock::now() < deadline) {
        if (!alive())
            return Readiness::vm_ended;
        {
            // A fresh connection each round: QEMU retries a guest that is not up yet with
            // TCP's growing backoff, seconds apart. QEMU is asked several times while it
            // lasts, so a connection the guest accepts and closes at once is seen too.
            Probe probe(forward);
            for (int look = 0; look < 10 && probe.connected(); look++) {
                std::this_thread::sleep_for(10ms);
                if (probe.received())
                    return Readiness::ready;
                auto usernet = qmp->human("info usernet", 5s);
                if (!usernet)
                    return ended_or(usernet.error());
                if (guest_accepted(*usernet, forward.guest_port))
                    return Readiness::ready;
            }
        }
        std::this_thread::sleep_for(50ms);
    }
    return Readiness::timed_out;
}

} // namespace uk::hypervisor
