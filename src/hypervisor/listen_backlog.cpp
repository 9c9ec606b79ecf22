#include "hypervisor/listen_backlog.hpp"

#include "core/files.hpp"
#include "core/log.hpp"
#include "core/unique_fd.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace uk::hypervisor {
namespace {

constexpr std::string_view tcp_listen_state = "0A"; // TCP_LISTEN in /proc/net/tcp

std::optional<unsigned> parse_hex(std::string_view text)
{
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (error != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// The inodes of the listening TCP sockets on `ports` in the network namespace of `pid`,
// from /proc/PID/net/tcp and tcp6 ("sl local_address rem_address st ... uid timeout inode").
std::set<std::string> listening_inodes(int pid, const std::set<unsigned>& ports)
{
    std::set<std::string> inodes;
    for (const char* table : {"tcp", "tcp6"}) {
        auto text = read_file(fmt::format("/proc/{}/net/{}", pid, table));
        if (!text)
            continue;
        std::istringstream lines(*text);
        std::string line;
        std::getline(lines, line); // the header
        while (std::getline(lines, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
            if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
                continue;
            auto colon = local.rfind(':');
            if (state != tcp_listen_state || colon == std::string::npos)
                continue;
            if (auto port = parse_hex(std::string_view(local).substr(colon + 1)); port && ports.contains(*port))
                inodes.insert(inode);
        }
    }
    return inodes;
}

// The descriptor numbers under which `pid` holds the sockets `inodes` ("socket:[INODE]").
std::vector<int> descriptors_of(int pid, const std::set<std::string>& inodes)
{
    std::vector<int> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
        std::error_code link_ec;
        auto target = std::filesystem::read_symlink(entry.path(), link_ec).string();
        if (link_ec || !target.starts_with("socket:[") || !target.ends_with("]"))
            continue;
        if (!inodes.contains(target.substr(8, target.size() - 9)))
            continue;
        int fd = -1;
        auto name = entry.path().filename().string();
        if (std::from_chars(name.data(), name.data() + name.size(), fd).ec == std::errc{})
            found.push_back(fd);
    }
    return found;
}

std::string refusal(const char* call, int error)
{
    if (error == ENOSYS)
        return fmt::format("{} needs Linux 5.6 or later", call);
    if (error == EPERM || error == EACCES)
        return fmt::format("{} was refused ({}): kernel.yama.ptrace_scope forbids it", call, std::strerror(error));
    return fmt::format("{} failed: {}", call, std::strerror(error));
}

} // namespace

Result<std::size_t> widen_listen_backlogs(int pid, const std::vector<settings::PortMapping>& forwards)
{
    std::set<unsigned> ports;
    for (const auto& forward : forwards)
        if (forward.protocol == settings::Protocol::tcp)
            ports.insert(forward.host_port);
    if (ports.empty())
        return 0;
    auto descriptors = descriptors_of(pid, listening_inodes(pid, ports));
    if (descriptors.empty())
        return 0;

    UniqueFd process(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (process.get() < 0)
        return fail(ErrorKind::unavailable, "cannot widen the listen backlog of QEMU's published ports: {}",
                    refusal("pidfd_open", errno));
    std::size_t widened = 0;
    for (int fd : descriptors) {
        UniqueFd copy(static_cast<int>(::syscall(SYS_pidfd_getfd, process.get(), fd, 0)));
        if (copy.get() < 0)
            return fail(ErrorKind::unavailable, "cannot widen the listen backlog of QEMU's published ports: {}",
                        refusal("pidfd_getfd", errno));
        // On a socket that already listens, listen() only sets the backlog; the kernel caps
        // it at net.core.somaxconn.
        if (::listen(copy.get(), SOMAXCONN) != 0)
            return fail(ErrorKind::unavailable, "cannot widen the listen backlog of QEMU's published ports: listen: {}",
                        std::strerror(errno));
        ++widened;
    }
    return widened;
}

bool widen_listen_backlogs_and_say(int pid, const std::vector<settings::PortMapping>& forwards)
{
    auto widened = widen_listen_backlogs(pid, forwards);
    if (!widened) {
        log::detail(widened.error().message);
        return true;
    }
    if (*widened < forwards.size())
        return false;
    if (!forwards.empty())
        log::detail("gave QEMU's {} published TCP port(s) the full listen backlog", *widened);
    return true;
}

} // namespace uk::hypervisor
