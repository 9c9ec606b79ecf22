#include "instance/record.hpp"

#include "core/files.hpp"
#include "core/units.hpp"
#include "guest/console_protocol.hpp"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <fstream>
#include <sstream>

namespace uk::instance {

namespace {

nlohmann::json mount_json(const settings::MountSpec& m)
{
    return {{"type", m.source_kind == settings::MountSpec::Source::volume ? "volume" : "host"},
            {"source", m.source},
            {"target", m.target},
            {"read_only", m.read_only}};
}

settings::MountSpec mount_from(const nlohmann::json& j)
{
    return {.source_kind = j.at("type") == "volume" ? settings::MountSpec::Source::volume
                                                    : settings::MountSpec::Source::host_folder,
            .source = j.at("source").get<std::string>(),
            .target = j.at("target").get<std::string>(),
            .read_only = j.at("read_only").get<bool>()};
}

} // namespace

nlohmann::json to_json(const Record& r)
{
    auto mounts = nlohmann::json::array();
    for (const auto& m : r.mounts)
        mounts.push_back(mount_json(m));
    return {{"name", r.name},         {"image", r.image.string()}, {"created", r.created},
            {"detached", r.detached}, {"qemu_pid", r.qemu_pid},    {"memory_mib", r.memory_mib},
            {"cpus", r.cpus},         {"accelerator", r.accelerator}, {"network", r.network},
            {"ports", r.ports},       {"mounts", mounts},          {"stop_requested", r.stop_requested},
            {"forced", r.forced},     {"gdb_port", r.gdb_port ? nlohmann::json(*r.gdb_port) : nlohmann::json(nullptr)},
            {"restart", settings::to_string(r.restart)}, {"restarts", r.restarts},
            {"last_exit_status", r.last_exit_status ? nlohmann::json(*r.last_exit_status) : nlohmann::json(nullptr)},
            {"monitor_pid", r.monitor_pid}, {"restarting", r.restarting}};
}

nlohmann::json to_json(const Record& record, const InstanceStatus& status, const Files& files)
{
    auto json = to_json(record);
    json["status"] = state_name(status.state);
    json["exit_status"] = status.exit_status ? nlohmann::json(*status.exit_status) : nlohmann::json(nullptr);
    json["console_log"] = files.console_log().string();
    json["failure"] = status.failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(status.failure);
    json["out_of_memory"] = status.out_of_memory ? nlohmann::json(*status.out_of_memory) : nlohmann::json(nullptr);
    return json;
}

Result<Record> record_from_json(const nlohmann::json& j, const std::string& where)
{
    try {
        Record r;
        r.name = j.at("name").get<std::string>();
        r.image = j.at("image").get<std::string>();
        r.created = j.at("created").get<std::string>();
        r.detached = j.at("detached").get<bool>();
        r.qemu_pid = j.at("qemu_pid").get<int>();
        r.memory_mib = j.at("memory_mib").get<std::uint32_t>();
        r.cpus = j.at("cpus").get<unsigned>();
        r.accelerator = j.at("accelerator").get<std::string>();
        r.network = j.at("network").get<std::string>();
        r.ports = j.at("ports").get<std::vector<std::string>>();
        for (const auto& m : j.value("mounts", nlohmann::json::array()))
            r.mounts.push_back(mount_from(m));
        r.stop_requested = j.at("stop_requested").get<bool>();
        r.forced = j.value("forced", false);
        if (j.contains("gdb_port") && j["gdb_port"].is_number_unsigned())
            r.gdb_port = j["gdb_port"].get<std::uint16_t>();
        if (j.contains("restart")) {
            auto policy = settings::parse_restart_policy(j["restart"].get<std::string>());
            if (!policy)
                return fail(ErrorKind::invalid_input, "{} is damaged (restart: {}): remove its folder", where,
                            policy.error().message);
            r.restart = *policy;
        }
        r.restarts = j.value("restarts", 0u);
        if (j.contains("last_exit_status") && j["last_exit_status"].is_number_integer())
            r.last_exit_status = j["last_exit_status"].get<int>();
        r.monitor_pid = j.value("monitor_pid", 0);
        r.restarting = j.value("restarting", false);
        return r;
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorKind::invalid_input, "{} is damaged ({}): remove its folder", where, e.what());
    }
}

namespace {

// Is `pid` alive, and does its command line hold `mark`? A zombie's command line is
// empty; another program under a reused pid has its own.
bool alive_with_command_line(int pid, std::string_view mark)
{
    if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM))
        return false;
    // read_file, not a stream: a process that ends between the open and the read makes
    // the read fail (ESRCH), which libstdc++'s stream buffer turns into an exception.
    auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    return cmdline && cmdline->find(mark) != std::string::npos;
}

} // namespace

bool qemu_alive(int pid, const Files& files) { return alive_with_command_line(pid, files.qmp_socket().string()); }

namespace {

// What the console log says about the last run: the program's status, and the process
// the guest's OOM killer ended, if it did.
struct LastRun {
    std::optional<int> exit_status;
    std::optional<std::string> oom_killed;
};

LastRun last_run_in_log(const std::filesystem::path& console_log)
{
    std::ifstream in(console_log, std::ios::binary);
    LastRun run;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (auto found = guest::find_exit_status_line(line))
            run.exit_status = found->status;
        else if (auto killed = guest::find_oom_kill(line))
            run.oom_killed = killed->process;
        else if (is_restart_line(line))
            run = {};
    }
    return run;
}

} // namespace

std::optional<int> exit_status_in_log(const std::filesystem::path& console_log)
{
    return last_run_in_log(console_log).exit_status;
}

namespace {
constexpr std::string_view restart_prefix = "uk: restart ";
}

std::string restart_line(unsigned restart, std::optional<int> exit_status, std::chrono::milliseconds delay)
{
    return fmt::format("{}{} after {} (waited {:.1f} s)", restart_prefix, restart,
                       exit_status ? fmt::format("exit status {}", *exit_status) : std::string("the guest died"),
                       static_cast<double>(delay.count()) / 1000.0);
}

bool is_restart_line(std::string_view line) { return line.starts_with(restart_prefix); }

bool monitor_alive(const Record& record)
{
    using namespace std::string_literals;
    return alive_with_command_line(record.monitor_pid, "\0instance\0monitor\0"s + record.name + '\0');
}

Status write_failure(const Files& files, const Failure& failure)
{
    auto text = nlohmann::json{{"run_state", failure.run_state},
                               {"kind", to_string(failure.error.kind)},
                               {"reason", failure.error.message}}
                    .dump(2) +
                "\n";
    return write_file_atomically(files.failure(), as_bytes(text));
}

std::optional<Failure> read_failure(const Files& files)
{
    auto text = read_file(files.failure());
    if (!text)
        return std::nullopt;
    auto json = nlohmann::json::parse(*text, nullptr, false);
    if (!json.is_object() || !json.contains("reason") || !json["reason"].is_string())
        return Failure{"unknown", {ErrorKind::guest_failed, "the instance failed (its failure record is damaged)"}};
    return Failure{json.value("run_state", std::string("unknown")),
                   {error_kind_named(json.value("kind", std::string("guest_failed"))), json["reason"].get<std::string>()}};
}

InstanceStatus status_of(const Record& record, const Files& files)
{
    if (qemu_alive(record.qemu_pid, files))
        return {State::running, std::nullopt, {}};
    // Under a restart policy the monitor decides what an ended VM becomes, and until it has
    // (it starts the VM again, or records the end and exits) the instance is not over: read
    // from the console alone it would look exited for a moment, then restarting again.
    bool may_restart = record.restarting ||
                       (record.restart.when != settings::RestartPolicy::When::no && !record.stop_requested);
    if (may_restart && monitor_alive(record))
        return {State::restarting, record.last_exit_status, {}};
    if (auto failure = read_failure(files))
        return {State::failed, std::nullopt, failure->error.message};
    auto run = last_run_in_log(files.console_log());
    // Killed for memory: the program's SIGKILL came from the guest's kernel.
    auto oom = run.exit_status == 128 + SIGKILL ? run.oom_killed : std::nullopt;
    if (record.stop_requested)
        return {State::stopped, run.exit_status, {}, oom};
    if (run.exit_status)
        return {State::exited, run.exit_status, {}, oom};
    return {State::crashed, std::nullopt, {}, std::nullopt};
}

const char* state_name(State state)
{
    switch (state) {
    case State::running: return "running";
    case State::restarting: return "restarting";
    case State::exited: return "exited";
    case State::stopped: return "stopped";
    case State::crashed: return "crashed";
    case State::failed: return "failed";
    }
    return "?";
}

std::string describe(const InstanceStatus& status)
{
    std::string text = state_name(status.state);
    if (status.exit_status && status.out_of_memory)
        text += " (" + std::to_string(*status.exit_status) + ", out of memory)";
    else if (status.exit_status)
        text += " (" + std::to_string(*status.exit_status) + ")";
    else if (status.state == State::stopped)
        text += " (killed)";
    return text;
}

std::string utc_now() { return format_utc(std::time(nullptr)); }

} // namespace uk::instance
