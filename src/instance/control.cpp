#include "instance/control.hpp"

#include "hypervisor/qmp.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace uk::instance {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A connection to the published port, open only while QEMU is asked about it.
class Probe {
public:
    explicit Probe(const hypervisor::PortForward& forward)
    {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(forward.host_port);
        auto host = forward.host_address == "0.0.0.0" ? std::string("127.0.0.1") : forward.host_address;
        inet_pton(AF_INET, host.c_str(), &address.sin_addr);
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~Probe()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
    bool connected() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

// QEMU's user network takes a connection on the host at once and then opens one to the
// guest; `info usernet` shows that one ESTABLISHED once the guest accepted it.
bool guest_accepted(const std::string& usernet, std::uint16_t guest_port)
{
    std::istringstream lines(usernet);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("TCP[ESTABLISHED]") == std::string::npos)
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

} // namespace

bool wait_for_end(const Record& record, const Files& files, std::chrono::milliseconds timeout)
{
    auto deadline = Clock::now() + timeout;
    while (qemu_alive(record.qemu_pid, files)) {
        if (Clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

Result<Stopped> stop(const Store& store, Record record, std::chrono::milliseconds timeout)
{
    auto files = store.files(record.name);
    if (!qemu_alive(record.qemu_pid, files))
        return Stopped{status_of(record, files), record.forced};
    record.stop_requested = true;
    if (auto saved = store.save(record); !saved)
        return fail(saved.error());
    auto qmp = hypervisor::QmpClient::connect(files.qmp_socket(), 2s);
    bool pressed = qmp && qmp->execute("system_powerdown", 2s);
    if (!pressed || !wait_for_end(record, files, timeout)) {
        kill_now(store, record);
        record.forced = true;
        if (auto saved = store.save(record); !saved)
            return fail(saved.error());
    }
    return Stopped{status_of(record, files), record.forced};
}

void kill_now(const Store& store, Record record)
{
    auto files = store.files(record.name);
    if (qemu_alive(record.qemu_pid, files))
        ::kill(record.qemu_pid, SIGKILL);
    wait_for_end(record, files, 5s);
}

Result<Readiness> wait_until_port_answers(const Files& files, int qemu_pid, const hypervisor::PortForward& forward,
                                          std::chrono::milliseconds timeout)
{
    auto deadline = Clock::now() + timeout;
    auto qmp = hypervisor::QmpClient::connect(files.qmp_socket(), 10s);
    if (!qmp)
        return fail(qmp.error());
    while (Clock::now() < deadline) {
        if (!qemu_alive(qemu_pid, files))
            return Readiness::vm_ended;
        {
            // A fresh connection each round: QEMU retries a guest that is not up yet with
            // TCP's growing backoff, seconds apart.
            Probe probe(forward);
            std::this_thread::sleep_for(100ms);
            auto usernet = qmp->human("info usernet", 5s);
            if (!usernet)
                return qemu_alive(qemu_pid, files) ? Result<Readiness>(fail(usernet.error())) : Readiness::vm_ended;
            if (probe.connected() && guest_accepted(*usernet, forward.guest_port))
                return Readiness::ready;
        }
        std::this_thread::sleep_for(50ms);
    }
    return Readiness::timed_out;
}

} // namespace uk::instance
