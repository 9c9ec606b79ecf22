#include "hypervisor/guest_watch.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

namespace uk::hypervisor {

bool is_hypervisor_stop(std::string_view status)
{
    // "shutdown" is not among them: a guest that powers off ends QEMU (uk never passes
    // -no-shutdown), which is how every run ends.
    static constexpr std::array<std::string_view, 5> stopped_by_qemu{"internal-error", "guest-panicked", "io-error",
                                                                      "watchdog", "paused"};
    for (auto state : stopped_by_qemu)
        if (status == state)
            return true;
    return false;
}

std::string qemu_reason(std::string_view qemu_errors)
{
    std::string_view line;
    for (std::size_t start = 0; start < qemu_errors.size();) {
        auto end = qemu_errors.find('\n', start);
        if (end == std::string_view::npos)
            end = qemu_errors.size();
        line = qemu_errors.substr(start, end - start);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.remove_suffix(1);
        if (!line.empty())
            break;
        start = end + 1;
    }
    // "qemu-system-x86_64: -accel kvm: ..." or "qemu-system-x86_64: error: ..."
    if (auto colon = line.find(": "); colon != std::string_view::npos && line.substr(0, colon).find("qemu") == 0)
        line.remove_prefix(colon + 2);
    std::string reason(line);
    if (reason.starts_with("KVM internal error") && qemu_errors.find("emulation failure") != std::string_view::npos)
        reason += " (emulation failure)";
    return reason;
}

Result<GuestWatch> GuestWatch::create()
{
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
        return fail(ErrorKind::io, "cannot create a socket pair for QEMU's monitor: {}", std::strerror(errno));
    GuestWatch watch{UniqueFd(ends[0]), UniqueFd(ends[1])};
    // QEMU reads these once it has sent its greeting: events flow only after the
    // capabilities are negotiated, and a guest stopped before that shows in the status.
    watch.send(R"({"execute":"qmp_capabilities","id":"capabilities"})");
    watch.send(R"({"execute":"query-status","id":"status"})");
    return watch;
}

GuestWatch::GuestWatch(UniqueFd own_end, UniqueFd qemu_end)
    : own_end_(std::move(own_end)), qemu_end_(std::move(qemu_end))
{
}

bool GuestWatch::send_command(std::string_view command)
{
    if (closed_)
        return false;
    std::string line = fmt::format(R"({{"execute":"{}"}})", command) + "\n";
    return ::send(own_end_.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT) ==
           static_cast<ssize_t>(line.size());
}

void GuestWatch::send(std::string_view command)
{
    std::string line(command);
    line += '\n';
    // A few dozen bytes into an empty socket buffer; a QEMU gone away is seen on reading.
    (void)::send(own_end_.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void GuestWatch::handle(std::string_view line)
{
    auto message = nlohmann::json::parse(line, nullptr, false);
    if (message.is_discarded() || !message.is_object())
        return;
    if (message.contains("event")) {
        auto event = message.value("event", std::string());
        if (event == "GUEST_PANICKED" && !stop_)
            stop_ = HypervisorStop{"guest-panicked"};
        else if (event == "STOP")
            send(R"({"execute":"query-status","id":"status"})");
        return;
    }
    auto id = message.value("id", std::string());
    if (id == "capabilities" && message.contains("return"))
        answered_ = true;
    if (id != "status" || !message.contains("return"))
        return;
    const auto& state = message["return"];
    if (!state.is_object() || state.value("running", true))
        return;
    auto status = state.value("status", std::string());
    if (status == "paused" && pauses_allowed_)
        return;
    if (is_hypervisor_stop(status) && !stop_)
        stop_ = HypervisorStop{status};
}

std::optional<HypervisorStop> GuestWatch::on_readable()
{
    char buffer[8192];
    for (;;) {
        ssize_t n = ::recv(own_end_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            partial_.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
            closed_ = true;
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    std::size_t start = 0;
    for (auto newline = partial_.find('\n'); newline != std::string::npos; newline = partial_.find('\n', start)) {
        handle(std::string_view(partial_).substr(start, newline - start));
        start = newline + 1;
    }
    partial_.erase(0, start);
    return stop_;
}

} // namespace uk::hypervisor
