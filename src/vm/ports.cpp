#include "vm/ports.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <tuple>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

namespace uk::vm {

Status check_ports_free(const std::vector<settings::PortMapping>& forwards)
{
    std::set<std::tuple<settings::Protocol, std::string, std::uint16_t>> seen;
    for (const auto& f : forwards) {
        auto protocol = f.protocol == settings::Protocol::tcp ? "tcp" : "udp";
        if (!seen.emplace(f.protocol, f.host_address, f.host_port).second)
            return fail(ErrorKind::usage, "host port {}:{}/{} is published twice", f.host_address, f.host_port, protocol);
        int s = ::socket(AF_INET, (f.protocol == settings::Protocol::tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
        if (s < 0)
            return fail(ErrorKind::io, "cannot open a socket: {}", std::strerror(errno));
        int one = 1;
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); // as QEMU binds: TIME_WAIT is fine
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(f.host_port);
        inet_pton(AF_INET, f.host_address.c_str(), &address.sin_addr);
        int result = ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
        int error = errno;
        ::close(s);
        if (result == 0)
            continue;
        if (error == EADDRINUSE)
            return fail(ErrorKind::unavailable,
                        "port {}:{}/{} is already in use on this machine: stop what uses it or publish another "
                        "port (-p OTHER:{})",
                        f.host_address, f.host_port, protocol, f.guest_port);
        if (error == EADDRNOTAVAIL)
            return fail(ErrorKind::unavailable, "cannot publish on {}: no interface of this machine has that address",
                        f.host_address);
        if (error == EACCES)
            return fail(ErrorKind::unavailable, "port {} is privileged: use a port above 1023 or run as root",
                        f.host_port);
        return fail(ErrorKind::unavailable, "cannot publish port {}:{}/{}: {}", f.host_address, f.host_port, protocol,
                    std::strerror(error));
    }
    return {};
}

Status check_debugger_port(std::uint16_t port)
{
    if (auto free = check_ports_free({{.host_port = port}}); !free)
        return fail(ErrorKind::unavailable,
                    "port 127.0.0.1:{} for the gdb stub is in use on this machine, or cannot be opened: give another "
                    "with --gdb=PORT",
                    port);
    return {};
}

} // namespace uk::vm
