// uk instance list|logs|stop|start|restart|rm|inspect|stats, and uk ps (= uk instance list): the instances
// `uk run` started, read from the state folder. Their state is derived each time
// (instance/record.hpp), so a killed QEMU or a rebooted machine never shows as running.
#include "app/detached.hpp"
#include "app/stats.hpp"
#include "app/stop.hpp"
#include "cli/backend.hpp"
#include "cli/command.hpp"
#include "cli/json_output.hpp"
#include "cli/table.hpp"
#include "cli/instance_commands.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/units.hpp"
#include "instance/store.hpp"
#include "settings/settings.hpp"

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>
#include <unistd.h>

namespace uk::cli {
namespace {

using namespace std::chrono_literals;

Result<instance::Store> open_store(const Context& context)
{
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    return instance::Store(paths->instances);
}

// An instance by name, with the store it lives in and its files.
struct Found {
    instance::Store store;
    instance::Record record;
    instance::Files files;
};

Result<Found> find_instance(const Context& context, const std::string& name)
{
    auto store = open_store(context);
    if (!store)
        return fail(store.error());
    auto record = store->load(name);
    if (!record)
        return fail(record.error());
    auto files = store->files(record->name);
    return Found{std::move(*store), std::move(*record), std::move(files)};
}

struct ListOptions {
    bool json = false;
    bool stats = false;
};

// uk ps --stats: a running instance's figures, or nothing (it is not running, or its
// guest does not answer in time; uk instance stats says why).
std::optional<guest::GuestStats> quick_stats(const instance::Store& store, const instance::Record& record,
                                             const instance::InstanceStatus& status)
{
    if (status.state != instance::State::running)
        return std::nullopt;
    auto stats = app::instance_stats(store, record.name, 3s);
    return stats ? std::optional(*stats) : std::nullopt;
}

Result<int> list(const ListOptions& options, const Context& context)
{
    auto store = open_store(context);
    if (!store)
        return fail(store.error());
    auto records = store->list();
    if (options.json) {
        auto out = nlohmann::json::array();
        for (const auto& r : records) {
            auto status = instance::status_of(r, store->files(r.name));
            out.push_back(instance::to_json(r, status, store->files(r.name)));
            if (options.stats) {
                auto stats = quick_stats(*store, r, status);
                out.back()["stats"] = stats ? guest::to_json(*stats) : nlohmann::json(nullptr);
            }
        }
        log::result(json_text(out));
        return exit_success;
    }
    if (log::quiet()) { // names only, for scripts and shell completion
        for (const auto& r : records)
            log::result(r.name);
        return exit_success;
    }
    std::vector<std::vector<std::string>> rows{
        {"NAME", "STATUS", "RESTARTS", "IMAGE", "NETWORK", "PORTS", "MOUNTS", "CREATED"}};
    if (options.stats)
        rows.front().insert(rows.front().begin() + 3, {"MEM USED", "CPU TIME"});
    for (const auto& r : records) {
        std::string ports, mounts;
        for (const auto& p : r.ports)
            ports += (ports.empty() ? "" : ",") + p;
        if (r.gdb_port)
            ports += (ports.empty() ? "" : ",") + fmt::format("127.0.0.1:{}->gdb", *r.gdb_port);
        for (const auto& m : r.mounts)
            mounts += (mounts.empty() ? "" : ",") + m.to_string();
        auto status = instance::status_of(r, store->files(r.name));
        rows.push_back({r.name, instance::describe(status),
                        std::to_string(r.restarts), r.image.stem().string(), r.network, ports.empty() ? "-" : ports,
                        mounts.empty() ? "-" : mounts, r.created});
        if (options.stats) {
            auto stats = quick_stats(*store, r, status);
            auto used = stats ? fmt::format("{} / {}", human_bytes(stats->memory.used_kib * 1024),
                                            human_bytes(stats->memory.total_kib * 1024))
                              : std::string("-");
            auto cpu = stats ? fmt::format("{:.1f}s", stats->cpu.busy_s) : std::string("-");
            rows.back().insert(rows.back().begin() + 3, {used, cpu});
        }
    }
    print_table(rows);
    return exit_success;
}

void declare_list_options(CLI::App& command, ListOptions& options)
{
    command.add_flag("--json", options.json, "Print the instances as a JSON array (docs/json.md)");
    command.add_flag("--stats", options.stats,
                     "Ask each running guest for its memory in use and CPU time (uk instance stats has the rest)");
    command.footer("With -q, only the names, one a line.");
}

struct NameOptions {
    std::string name;
};

Result<int> inspect(const NameOptions& options, const Context& context)
{
    auto found = find_instance(context, options.name);
    if (!found)
        return fail(found.error());
    const auto& [store, record, files] = *found;
    log::result(json_text(instance::to_json(record, instance::status_of(record, files), files)));
    return exit_success;
}

struct StopOptions {
    std::string name;
    std::string timeout = "10s";
};

Result<int> stop(const StopOptions& options, const Context& context)
{
    auto timeout = flag_value("--timeout", settings::parse_duration(options.timeout));
    if (!timeout)
        return fail(timeout.error());
    auto found = find_instance(context, options.name);
    if (!found)
        return fail(found.error());
    const auto& [store, record, files] = *found;
    auto before = instance::status_of(record, files);
    if (!instance::is_live(before.state)) {
        log::result(fmt::format("{} is not running: {}", record.name, instance::describe(before)));
        return exit_success;
    }
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    auto backend = running_vms_backend(context, *paths);
    auto after = app::stop(store, record, backend, *timeout);
    if (!after)
        return fail(after.error());
    log::result(fmt::format("stopped {}{}: {}", record.name,
                             after->forced ? fmt::format(" (killed after {})", options.timeout) : "",
                             after->status.exit_status
                                 ? fmt::format("the program exited with status {}", *after->status.exit_status)
                                 : std::string("the program reported no exit status")));
    return exit_success;
}

struct StartOptions {
    std::string name;
    std::string ready_timeout = "120s";
    std::string timeout = "10s"; // restart: how long the stop may take
    bool json = false;
};

// uk instance start, and the second half of uk instance restart.
Result<int> start(const StartOptions& options, const Context& context)
{
    auto ready_timeout = flag_value("--ready-timeout", settings::parse_duration(options.ready_timeout));
    if (!ready_timeout)
        return fail(ready_timeout.error());
    auto host = qemu_host(context);
    if (!host)
        return fail(host.error());
    instance::Store store(host->paths.instances);
    app::ProcessMonitorLauncher monitors(std::filesystem::read_symlink("/proc/self/exe"));
    auto started = app::start_again(store, options.name, host->backend, monitors, *ready_timeout);
    if (!started)
        return fail(started.error());
    auto files = store.files(started->name);
    if (options.json)
        log::result(json_text(instance::to_json(*started, instance::status_of(*started, files), files)));
    else
        log::result(started->name);
    return exit_success;
}

Result<int> restart(const StartOptions& options, const Context& context)
{
    auto timeout = flag_value("--timeout", settings::parse_duration(options.timeout));
    if (!timeout)
        return fail(timeout.error());
    auto found = find_instance(context, options.name);
    if (!found)
        return fail(found.error());
    if (instance::is_live(instance::status_of(found->record, found->files).state)) {
        auto paths = state::resolve_paths(context.environment);
        if (!paths)
            return fail(paths.error());
        auto backend = running_vms_backend(context, *paths);
        if (auto stopped = app::stop(found->store, found->record, backend, *timeout); !stopped)
            return fail(stopped.error());
    }
    return start(options, context);
}

struct RemoveOptions {
    std::vector<std::string> names;
    bool force = false;
};

Result<int> remove(const RemoveOptions& options, const Context& context)
{
    auto store = open_store(context);
    if (!store)
        return fail(store.error());
    // Every name is checked before anything is removed.
    std::vector<instance::Record> records;
    for (const auto& name : options.names) {
        auto record = store->load(name);
        if (!record)
            return fail(record.error());
        if (!options.force && instance::is_live(instance::status_of(*record, store->files(name)).state))
            return fail(ErrorKind::unavailable, "instance {} is running: stop it first (uk instance stop {}) or use -f",
                        name, name);
        records.push_back(*record);
    }
    for (const auto& record : records) {
        app::kill_now(*store, record);
        if (auto removed = store->remove(record.name); !removed)
            return fail(removed.error());
        log::result(record.name);
    }
    return exit_success;
}

} // namespace

Action declare_instance(CLI::App& command, const Context& context)
{
    command.require_subcommand(1);
    auto list_options = std::make_shared<ListOptions>();
    auto* list_command = command.add_subcommand("list", "List instances and their state (also: uk ps)");
    list_command->alias("ls");
    declare_list_options(*list_command, *list_options);

    auto logs_options = std::make_shared<LogsOptions>();
    auto* logs_command = command.add_subcommand("logs", "Print an instance's console output");
    logs_command->add_option("INSTANCE", logs_options->name, "The instance")->type_name("")->required();
    logs_command->add_flag("-f,--follow", logs_options->follow, "Keep printing until the VM ends");
    logs_command->add_flag("--all", logs_options->all, "Everything the console printed, kernel and uk-init included");

    auto stop_options = std::make_shared<StopOptions>();
    auto* stop_command =
        command.add_subcommand("stop", "Stop an instance: the program gets SIGTERM, then the VM is killed after --timeout");
    stop_command->add_option("INSTANCE", stop_options->name, "The instance")->type_name("")->required();
    stop_command->add_option("-t,--timeout", stop_options->timeout, "How long to wait before killing it (default 10s)")
        ->type_name("DURATION");

    auto remove_options = std::make_shared<RemoveOptions>();
    auto start_options = std::make_shared<StartOptions>();
    auto* start_command = command.add_subcommand(
        "start", "Start an instance that ended again, as it was: image, memory, ports, volumes, name");
    auto* restart_command = command.add_subcommand("restart", "Stop an instance (if it runs), then start it again");
    for (auto* c : {start_command, restart_command}) {
        c->add_option("INSTANCE", start_options->name, "The instance")->type_name("")->required();
        c->add_option("--ready-timeout", start_options->ready_timeout,
                      "How long to wait for its first published port, e.g. 30s (default 120s)")
            ->type_name("DURATION");
        c->add_flag("--json", start_options->json, "Print the instance as JSON (docs/json.md)");
    }
    restart_command->add_option("-t,--timeout", start_options->timeout, "How long the stop may take before the VM is killed (default 10s)")
        ->type_name("DURATION");

    auto* remove_command = command.add_subcommand("rm", "Remove stopped instances and their logs");
    remove_command->add_option("INSTANCE", remove_options->names, "The instances")->type_name("")->required();
    remove_command->add_flag("-f,--force", remove_options->force, "Kill running ones first");

    auto stats_options = std::make_shared<StatsOptions>();
    auto* stats_command = command.add_subcommand(
        "stats", "Show a running instance's memory, CPU, network, disk and program figures, from its guest");
    stats_command->add_option("INSTANCE", stats_options->name, "The instance")->type_name("")->required();
    stats_command->add_flag("--json", stats_options->json,
                            "Print them as JSON (docs/json.md); with --watch one object a line");
    stats_command->add_flag("-w,--watch", stats_options->watch,
                            "Ask again every --interval, with the CPU share since the last answer, until Ctrl-C");
    stats_command->add_option("--interval", stats_options->interval, "How often --watch asks (default 2s)")
        ->type_name("DURATION");

    auto inspect_options = std::make_shared<NameOptions>();
    auto* inspect_command = command.add_subcommand("inspect", "Print an instance's record and state as JSON");
    inspect_command->add_option("INSTANCE", inspect_options->name, "The instance")->type_name("")->required();

    // Not for users: what `uk run -d` starts to run and watch an instance (app/detached.hpp).
    auto monitor_name = std::make_shared<std::string>();
    auto* monitor_command = command.add_subcommand("monitor", "Run and watch a detached instance (uk run -d starts it)");
    monitor_command->add_option("INSTANCE", *monitor_name, "The instance")->type_name("")->required();
    monitor_command->group("");

    command.footer("Examples:\n"
                   "  uk run -d --name web server -p 8080 && uk ps\n"
                   "  uk instance logs -f web\n"
                   "  uk instance stats --watch web\n"
                   "  uk instance stop web && uk instance rm web");
    return [=, &context, &command]() -> Result<int> {
        if (list_command->parsed())
            return list(*list_options, context);
        if (logs_command->parsed())
            return show_logs(*logs_options, context);
        if (stop_command->parsed())
            return stop(*stop_options, context);
        if (start_command->parsed())
            return start(*start_options, context);
        if (restart_command->parsed())
            return restart(*start_options, context);
        if (remove_command->parsed())
            return remove(*remove_options, context);
        if (inspect_command->parsed())
            return inspect(*inspect_options, context);
        if (stats_command->parsed())
            return show_stats(*stats_options, context);
        if (monitor_command->parsed()) {
            auto host = qemu_host(context);
            if (!host)
                return fail(host.error());
            StopSignals stops;
            return app::monitor(instance::Store(host->paths.instances), volume::Store(host->paths.volumes),
                                *monitor_name, host->backend, STDOUT_FILENO, stops);
        }
        return fail(ErrorKind::usage, "{} needs a subcommand: list, logs, stop, start, restart, rm, inspect or stats", command.get_name());
    };
}

Action declare_ps(CLI::App& command, const Context& context)
{
    auto options = std::make_shared<ListOptions>();
    declare_list_options(command, *options);
    return [options, &context] { return list(*options, context); };
}

} // namespace uk::cli
