// An instance: one VM started by `uk run`, kept as a folder in the state directory
// (instance.json, console.log, qemu.log, qmp.sock). Its state is never stored, always
// derived: running while its QEMU lives, then exited, stopped or crashed according to
// what the console log and the record say. So a record left by a killed QEMU or a
// rebooted machine can never claim to be running.
#pragma once

#include "core/error.hpp"
#include "settings/settings.hpp"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uk::instance {

struct Record {
    std::string name;
    std::filesystem::path image;
    std::string created; // UTC, ISO 8601
    bool detached = false;
    int qemu_pid = 0;
    std::uint32_t memory_mib = 0;
    unsigned cpus = 1;
    std::string accelerator;        // kvm, tcg
    std::string network;            // "user", "tap uktap0 192.168.7.2/24", ...
    std::vector<std::string> ports; // "127.0.0.1:8080->8080/tcp"
    // Volumes by name, host folders by absolute path, in mounting order.
    std::vector<settings::MountSpec> mounts;
    std::optional<std::uint16_t> gdb_port; // uk run --gdb: QEMU's gdb stub on 127.0.0.1
    bool stop_requested = false;    // uk instance stop (or Ctrl-C) asked it to stop
    bool forced = false;            // ...and it had to be killed
    // uk run -d --restart: the policy its monitor keeps, how often it started the VM
    // again, and the program's exit status before the last restart (none when the guest
    // died without one).
    settings::RestartPolicy restart;
    unsigned restarts = 0;
    std::optional<int> last_exit_status;
    int monitor_pid = 0;     // a detached instance's monitor ("uk instance monitor NAME")
    bool restarting = false; // its monitor waits to start the VM again
};

// failed: QEMU stopped the guest by itself (KVM could not run it, a panic it holds, a
// disk error) and uk ended it; the reason is kept in the instance's failure file.
// restarting: its VM ended and its monitor waits to start it again (--restart).
enum class State { running, restarting, exited, stopped, crashed, failed };
// Running, or about to run again: what a stop, a removal or a volume's users care about.
constexpr bool is_live(State state) { return state == State::running || state == State::restarting; }

struct InstanceStatus {
    State state = State::crashed;
    std::optional<int> exit_status; // the program's, from uk-init's console line
    std::string failure;            // why, when failed
    std::optional<std::string> out_of_memory; // the process the guest's kernel killed for memory (status 137)
};

struct Files {
    std::filesystem::path folder;
    std::filesystem::path record() const { return folder / "instance.json"; }
    std::filesystem::path console_log() const { return folder / "console.log"; }
    std::filesystem::path qemu_log() const { return folder / "qemu.log"; }
    std::filesystem::path qmp_socket() const { return folder / "qmp.sock"; }
    std::filesystem::path agent_socket() const { return folder / "agent.sock"; } // uk-init's stats agent
    std::filesystem::path vm_spec() const { return folder / "vm.json"; }      // what its monitor starts
    std::filesystem::path monitor_log() const { return folder / "monitor.log"; }
    std::filesystem::path failure() const { return folder / "failure.json"; } // written when it failed
};

// Why an instance's guest failed (State::failed): the hypervisor's run state and the
// one-line error an attached run would have printed, with its kind (so its status).
struct Failure {
    std::string run_state; // e.g. "internal-error"
    Error error;
};
Status write_failure(const Files& files, const Failure& failure);
std::optional<Failure> read_failure(const Files& files);

nlohmann::json to_json(const Record& record);
// The record with its derived status and files, as --json prints an instance.
nlohmann::json to_json(const Record& record, const InstanceStatus& status, const Files& files);
Result<Record> record_from_json(const nlohmann::json& json, const std::string& where);

// Is this QEMU alive, and is it the one started for this folder? (pids are reused.)
bool qemu_alive(int pid, const Files& files);
// Is this instance's monitor alive (the process "uk instance monitor NAME")?
bool monitor_alive(const Record& record);

InstanceStatus status_of(const Record& record, const Files& files);

// "running", "exited (3)", "stopped (0)", "stopped (killed)", "crashed", "failed"
std::string describe(const InstanceStatus& status);
const char* state_name(State state);

// The program's exit status as uk-init printed it in a console log, if it did, since
// the last restart line.
std::optional<int> exit_status_in_log(const std::filesystem::path& console_log);

// The line a monitor adds to the console log before it starts the VM again, which also
// ends the previous run's part of the log.
std::string restart_line(unsigned restart, std::optional<int> exit_status, std::chrono::milliseconds delay);
bool is_restart_line(std::string_view line);

// Now, as the record's "created".
std::string utc_now();

} // namespace uk::instance
