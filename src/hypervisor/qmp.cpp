#include "hypervisor/qmp.hpp"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace uk::hypervisor {

Result<QmpClient> QmpClient::connect(const std::filesystem::path& socket_path, std::chrono::milliseconds timeout)
{
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.string().size() >= sizeof address.sun_path)
        return fail(ErrorKind::unavailable, "QMP socket path {} is too long for a Unix socket", socket_path.string());
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd)
            return fail(ErrorKind::io, "cannot open a socket: {}", std::strerror(errno));
        if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
            QmpClient client(std::move(fd));
            auto greeting = client.read_line(deadline);
            if (!greeting)
                return fail(greeting.error());
            if (auto ok = client.execute("qmp_capabilities", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                    deadline - std::chrono::steady_clock::now()));
                !ok)
                return fail(ok.error());
            return client;
        }
        int error = errno;
        fd.reset();
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(ErrorKind::unavailable, "cannot reach QEMU's QMP socket {}: {}", socket_path.string(),
                        std::strerror(error));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

Result<std::string> QmpClient::read_line(std::chrono::steady_clock::time_point deadline)
{
    for (;;) {
        if (auto newline = buffer_.find('\n'); newline != std::string::npos) {
            auto line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{fd_.get(), POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            return fail(ErrorKind::unavailable, "QEMU did not answer on its QMP socket in time");
        char chunk[4096];
        ssize_t n = ::read(fd_.get(), chunk, sizeof chunk);
        if (n <= 0)
            return fail(ErrorKind::unavailable, "QEMU closed its QMP socket");
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

Status QmpClient::execute(const std::string& command, std::chrono::milliseconds timeout)
{
    auto result = call(command, nullptr, timeout);
    if (!result)
        return fail(result.error());
    return {};
}

Result<nlohmann::json> QmpClient::call(const std::string& command, const nlohmann::json& arguments,
                                       std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    nlohmann::json message{{"execute", command}};
    if (!arguments.is_null())
        message["arguments"] = arguments;
    std::string request = message.dump() + "\n";
    if (::send(fd_.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        return fail(ErrorKind::unavailable, "cannot send {} to QEMU: {}", command, std::strerror(errno));
    for (;;) {
        auto line = read_line(deadline);
        if (!line)
            return fail(line.error());
        auto reply = nlohmann::json::parse(*line, nullptr, false);
        if (reply.is_discarded() || reply.contains("event"))
            continue;
        if (reply.contains("error"))
            return fail(ErrorKind::unavailable, "QEMU refused {}: {}", command,
                        reply["error"].value("desc", std::string("no reason given")));
        if (reply.contains("return"))
            return reply["return"];
    }
}

Result<std::string> QmpClient::human(const std::string& command_line, std::chrono::milliseconds timeout)
{
    auto result = call("human-monitor-command", {{"command-line", command_line}}, timeout);
    if (!result)
        return fail(result.error());
    return result->is_string() ? result->get<std::string>() : std::string();
}

} // namespace uk::hypervisor
