#include "hypervisor/ports.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <netinet/in.h>
#include <optional>
#include <tuple>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

namespace uk::hypervisor {
namespace {

std::optional<std::uint16_t> parse_number(std::string_view text)
{
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

} // namespace

Result<PortForward> parse_port(const std::string& spec)
{
    auto bad = [&](const std::string& why) {
        return fail(ErrorKind::usage, "-p {}: {}; expected [IP:]HOST[:GUEST][/tcp|/udp], e.g. -p 8080 or -p 8080:80",
                    spec, why);
    };
    PortForward forward;
    std::string_view rest = spec;
    if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
        auto protocol = rest.substr(slash + 1);
        if (protocol == "udp")
            forward.protocol = Protocol::udp;
        else if (protocol != "tcp")
            return bad("unknown protocol \"" + std::string(protocol) + "\"");
        rest = rest.substr(0, slash);
    }
    std::vector<std::string_view> parts;
    while (true) {
        auto colon = rest.find(':');
        parts.push_back(rest.substr(0, colon));
        if (colon == std::string_view::npos)
            break;
        rest.remove_prefix(colon + 1);
    }
    if (parts.size() > 3)
        return bad("too many ':'");
    if (parts.size() == 3 || (parts.size() == 2 && parts[0].find('.') != std::string_view::npos)) {
        in_addr address{};
        if (inet_pton(AF_INET, std::string(parts[0]).c_str(), &address) != 1)
            return bad("\"" + std::string(parts[0]) + "\" is not an IPv4 address");
        forward.host_address = parts[0];
        parts.erase(parts.begin());
    }
    auto host = parse_number(parts[0]);
    if (!host)
        return bad("\"" + std::string(parts[0]) + "\" is not a port from 1 to 65535");
    forward.host_port = *host;
    forward.guest_port = *host;
    if (parts.size() == 2) {
        auto guest = parse_number(parts[1]);
        if (!guest)
            return bad("\"" + std::string(parts[1]) + "\" is not a port from 1 to 65535");
        forward.guest_port = *guest;
    }
    return forward;
}

Status check_ports_free(const std::vector<PortForward>& forwards)
{
    std::set<std::tuple<Protocol, std::string, std::uint16_t>> seen;
    for (const auto& f : forwards) {
        auto protocol = f.protocol == Protocol::tcp ? "tcp" : "udp";
        if (!seen.emplace(f.protocol, f.host_address, f.host_port).second)
            return fail(ErrorKind::usage, "host port {}:{}/{} is published twice", f.host_address, f.host_port, protocol);
        int s = ::socket(AF_INET, (f.protocol == Protocol::tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
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

} // namespace uk::hypervisor
