#include "guest/stats.hpp"

#include "core/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <random>
#include <sys/socket.h>
#include <sys/un.h>

namespace uk::guest {
namespace {

using Clock = std::chrono::steady_clock;

Status send_all(int fd, std::string_view bytes)
{
    while (!bytes.empty()) {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(ErrorKind::io, "cannot ask the guest's agent: {}", std::strerror(errno));
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

// The agent's answer, parsed once (line: the same answer as text, for the message).
Result<GuestStats> stats_from(const nlohmann::json& json, std::string_view line, std::uint64_t id)
{
    if (!json.is_object())
        return fail(ErrorKind::io, "the guest's agent answered something that is not JSON: {}",
                    std::string(line.substr(0, 80)));
    if (json.contains("error"))
        return fail(ErrorKind::io, "the guest's agent said: {}", json["error"].dump());
    try {
        if (json.at("id").get<std::uint64_t>() != id)
            return fail(ErrorKind::io, "the guest's agent answered another request");
        GuestStats s;
        s.uptime_s = json.at("uptime_s").get<double>();
        const auto& cpu = json.at("cpu");
        s.cpu.count = cpu.at("count").get<unsigned>();
        s.cpu.busy_s = cpu.at("busy_s").get<double>();
        s.cpu.idle_s = cpu.at("idle_s").get<double>();
        s.cpu.load = cpu.at("load").get<std::array<double, 3>>();
        const auto& memory = json.at("memory");
        s.memory.total_kib = memory.at("total_kib").get<std::uint64_t>();
        s.memory.used_kib = memory.at("used_kib").get<std::uint64_t>();
        s.memory.free_kib = memory.at("free_kib").get<std::uint64_t>();
        s.memory.available_kib = memory.at("available_kib").get<std::uint64_t>();
        s.memory.page_cache_kib = memory.at("page_cache_kib").get<std::uint64_t>();
        s.memory.shmem_kib = memory.value("shmem_kib", std::uint64_t{0});
        s.memory.anon_kib = memory.value("anon_kib", std::uint64_t{0});
        s.memory.slab_reclaimable_kib = memory.value("slab_reclaimable_kib", std::uint64_t{0});
        s.memory.slab_unreclaimable_kib = memory.value("slab_unreclaimable_kib", std::uint64_t{0});
        s.memory.kernel_stack_kib = memory.value("kernel_stack_kib", std::uint64_t{0});
        s.memory.page_tables_kib = memory.value("page_tables_kib", std::uint64_t{0});
        s.memory.percpu_kib = memory.value("percpu_kib", std::uint64_t{0});
        s.memory.kernel_image_kib = memory.value("kernel_image_kib", std::uint64_t{0});
        const auto& network = json.at("network");
        s.network.rx_bytes = network.at("rx_bytes").get<std::uint64_t>();
        s.network.tx_bytes = network.at("tx_bytes").get<std::uint64_t>();
        s.network.rx_packets = network.at("rx_packets").get<std::uint64_t>();
        s.network.tx_packets = network.at("tx_packets").get<std::uint64_t>();
        const auto& disk = json.at("disk");
        s.disk.reads = disk.at("reads").get<std::uint64_t>();
        s.disk.read_bytes = disk.at("read_bytes").get<std::uint64_t>();
        s.disk.writes = disk.at("writes").get<std::uint64_t>();
        s.disk.written_bytes = disk.at("written_bytes").get<std::uint64_t>();
        const auto& program = json.at("program");
        s.program.processes = program.at("processes").get<unsigned>();
        s.program.rss_kib = program.at("rss_kib").get<std::uint64_t>();
        s.program.rss_anon_kib = program.value("rss_anon_kib", std::uint64_t{0});
        s.program.rss_file_kib = program.value("rss_file_kib", std::uint64_t{0});
        s.program.cpu_s = program.at("cpu_s").get<double>();
        return s;
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorKind::io, "the guest's agent answered without a field uk needs ({})", e.what());
    }
}

} // namespace

Result<GuestStats> parse_stats_answer(std::string_view line, std::uint64_t id)
{
    return stats_from(nlohmann::json::parse(line, nullptr, false), line, id);
}

Result<GuestStats> ask_stats(const std::filesystem::path& agent_socket, std::chrono::milliseconds timeout)
{
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (agent_socket.string().size() >= sizeof address.sun_path)
        return fail(ErrorKind::io, "the agent socket path {} is too long", agent_socket.string());
    std::strncpy(address.sun_path, agent_socket.c_str(), sizeof address.sun_path - 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        return fail(ErrorKind::unavailable, "cannot reach the guest's agent at {}: {}", agent_socket.string(),
                    std::strerror(errno));
    // A fresh id each time, so that an answer meant for someone else is told apart.
    auto id = std::random_device{}() % 1000000000u;
    if (auto sent = send_all(fd.get(), fmt::format("stats {}\n", id)); !sent)
        return fail(sent.error());
    auto deadline = Clock::now() + timeout;
    std::string received;
    for (;;) {
        for (auto newline = received.find('\n'); newline != std::string::npos; newline = received.find('\n')) {
            auto line = received.substr(0, newline);
            received.erase(0, newline + 1);
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            auto json = nlohmann::json::parse(line, nullptr, false);
            if (json.is_object() && json.contains("id") && json["id"] != id)
                continue; // for an earlier asker that gave up
            return stats_from(json, line, id);
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0)
            return fail(ErrorKind::unavailable, "the guest's agent did not answer within {} s (is the guest still "
                                                "booting, or busy?)",
                        timeout.count() / 1000);
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0)
            continue;
        char buffer[4096];
        ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(ErrorKind::unavailable, "the guest's agent went away before it answered");
        received.append(buffer, static_cast<std::size_t>(n));
    }
}

nlohmann::json to_json(const GuestStats& s)
{
    return {{"uptime_s", s.uptime_s},
            {"cpu", {{"count", s.cpu.count}, {"busy_s", s.cpu.busy_s}, {"idle_s", s.cpu.idle_s}, {"load", s.cpu.load}}},
            {"memory",
             {{"total_kib", s.memory.total_kib},
              {"used_kib", s.memory.used_kib},
              {"free_kib", s.memory.free_kib},
              {"available_kib", s.memory.available_kib},
              {"page_cache_kib", s.memory.page_cache_kib},
              {"shmem_kib", s.memory.shmem_kib},
              {"anon_kib", s.memory.anon_kib},
              {"slab_reclaimable_kib", s.memory.slab_reclaimable_kib},
              {"slab_unreclaimable_kib", s.memory.slab_unreclaimable_kib},
              {"kernel_stack_kib", s.memory.kernel_stack_kib},
              {"page_tables_kib", s.memory.page_tables_kib},
              {"percpu_kib", s.memory.percpu_kib},
              {"kernel_image_kib", s.memory.kernel_image_kib}}},
            {"network",
             {{"rx_bytes", s.network.rx_bytes},
              {"tx_bytes", s.network.tx_bytes},
              {"rx_packets", s.network.rx_packets},
              {"tx_packets", s.network.tx_packets}}},
            {"disk",
             {{"reads", s.disk.reads},
              {"read_bytes", s.disk.read_bytes},
              {"writes", s.disk.writes},
              {"written_bytes", s.disk.written_bytes}}},
            {"program",
             {{"processes", s.program.processes},
              {"rss_kib", s.program.rss_kib},
              {"rss_anon_kib", s.program.rss_anon_kib},
              {"rss_file_kib", s.program.rss_file_kib},
              {"cpu_s", s.program.cpu_s}}}};
}

} // namespace uk::guest
