// uk instance stats: a running instance's figures from its guest, once or every
// --interval with --watch (the CPU share between two samples, as top shows it).
#include "app/stats.hpp"
#include "cli/instance_commands.hpp"
#include "cli/json_output.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/units.hpp"
#include "instance/store.hpp"
#include "settings/settings.hpp"

#include <cmath>
#include <cstdio>
#include <thread>
#include <unistd.h>

namespace uk::cli {
namespace {

using namespace std::chrono_literals;

constexpr auto answer_timeout = 10s; // a guest under TCG that is busy answers slowly

std::string kib(std::uint64_t value) { return human_bytes(value * 1024); }

std::string duration_text(double seconds)
{
    auto whole = static_cast<long long>(seconds);
    if (whole < 60)
        return fmt::format("{:.1f}s", seconds);
    if (whole < 3600)
        return fmt::format("{}m{:02}s", whole / 60, whole % 60);
    return fmt::format("{}h{:02}m", whole / 3600, whole % 3600 / 60);
}

std::string text_of(const std::string& name, const instance::Record& record, const guest::GuestStats& s,
                    std::optional<double> cpu_percent)
{
    const auto& m = s.memory;
    auto cpu = cpu_percent ? fmt::format("{:.1f}% now, ", *cpu_percent) : std::string();
    return fmt::format("{}: up {}, restarts {}\n"
                       "  memory   {} total, {} used, {} available, {} page cache\n"
                       "  cpu      {}{:.2f}s busy on {} CPU{}, load {:.2f} {:.2f} {:.2f}\n"
                       "  network  {} received, {} sent ({} and {} packets)\n"
                       "  disk     {} read ({} reads), {} written ({} writes)\n"
                       "  program  {} in {} process{}, {:.2f}s of CPU\n",
                       name, duration_text(s.uptime_s), record.restarts, kib(m.total_kib), kib(m.used_kib),
                       kib(m.available_kib), kib(m.page_cache_kib), cpu, s.cpu.busy_s, s.cpu.count,
                       s.cpu.count == 1 ? "" : "s", s.cpu.load[0], s.cpu.load[1], s.cpu.load[2],
                       human_bytes(s.network.rx_bytes), human_bytes(s.network.tx_bytes), s.network.rx_packets,
                       s.network.tx_packets, human_bytes(s.disk.read_bytes), s.disk.reads,
                       human_bytes(s.disk.written_bytes), s.disk.writes, kib(s.program.rss_kib), s.program.processes,
                       s.program.processes == 1 ? "" : "es", s.program.cpu_s);
}

nlohmann::json json_of(const std::string& name, const instance::Record& record, const guest::GuestStats& s,
                       std::optional<double> cpu_percent)
{
    nlohmann::json json{{"name", name}, {"restarts", record.restarts}};
    json.update(guest::to_json(s));
    json["cpu"]["percent"] =
        cpu_percent ? nlohmann::json(std::round(*cpu_percent * 10) / 10) : nlohmann::json(nullptr);
    return json;
}

} // namespace

Result<int> show_stats(const StatsOptions& options, const Context& context)
{
    auto interval = settings::parse_duration(options.interval);
    if (!interval || interval->count() <= 0)
        return fail(ErrorKind::usage, "--interval {}: expected a duration like 2s or 500ms", options.interval);
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    instance::Store store(paths->instances);
    std::optional<guest::GuestStats> previous;
    bool clear_screen = options.watch && !options.json && ::isatty(STDOUT_FILENO) == 1;
    for (;;) {
        auto stats = app::instance_stats(store, options.name, answer_timeout);
        if (!stats)
            return fail(stats.error());
        auto record = store.load(options.name);
        if (!record)
            return fail(record.error());
        auto percent = previous ? std::optional(app::cpu_percent(*previous, *stats)) : std::nullopt;
        if (options.json) {
            auto json = json_of(options.name, *record, *stats, percent);
            // --watch: one object a line, for a script to read as they come.
            log::result(options.watch ? json.dump() : json_text(json));
        } else {
            if (clear_screen)
                std::fputs("\033[H\033[J", stdout);
            auto text = text_of(options.name, *record, *stats, percent);
            text.pop_back();
            log::result(text);
        }
        std::fflush(stdout);
        if (!options.watch)
            return exit_success;
        previous = *stats;
        for (auto until = std::chrono::steady_clock::now() + *interval; std::chrono::steady_clock::now() < until;) {
            if (auto signal = pending_stop_signal())
                return signal == SIGINT ? exit_success : 128 + signal; // Ctrl-C ends a watch
            std::this_thread::sleep_for(50ms);
        }
    }
}

} // namespace uk::cli
