#include "support/qmp.hpp"

#include <cstdio>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace uk::test {
namespace {

// One line, or empty after 5 s of silence.
std::string read_line(int fd, std::string& buffered)
{
    while (buffered.find('\n') == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        char chunk[4096];
        ssize_t n = ::poll(&p, 1, 5000) > 0 ? ::read(fd, chunk, sizeof chunk) : -1;
        if (n <= 0)
            return {};
        buffered.append(chunk, static_cast<std::size_t>(n));
    }
    auto newline = buffered.find('\n');
    auto line = buffered.substr(0, newline);
    buffered.erase(0, newline + 1);
    return line;
}

} // namespace

std::string qmp_command(const std::filesystem::path& socket_path, const std::string& command)
{
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        if (fd >= 0)
            ::close(fd);
        return {};
    }
    std::string buffered, reply;
    auto send = [&](const std::string& text) { return ::write(fd, text.data(), text.size()) > 0; };
    if (!read_line(fd, buffered).empty() && send(R"({"execute":"qmp_capabilities"})" "\n") &&
        !read_line(fd, buffered).empty() && send(R"({"execute":")" + command + "\"}\n")) {
        for (auto line = read_line(fd, buffered); !line.empty(); line = read_line(fd, buffered))
            if (line.find("\"return\"") != std::string::npos || line.find("\"error\"") != std::string::npos) {
                reply = line;
                break;
            }
    }
    ::close(fd);
    return reply;
}

} // namespace uk::test
