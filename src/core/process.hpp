// Child processes started from an argv vector (never through a shell), owned by an RAII
// handle: a Process that goes out of scope while its child runs kills the child's whole
// process group, so no QEMU outlives the uk (or the test) that started it.
#pragma once

#include "core/error.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <variant>
#include <vector>

namespace uk {

struct Inherit {};
struct DevNull {};
struct Pipe {};
// Where a standard stream of the child goes: the parent's own, /dev/null, a pipe the
// parent reads (stdout/stderr) or writes (stdin), or a file (truncated when written).
using Stream = std::variant<Inherit, DevNull, Pipe, std::filesystem::path>;

struct SpawnOptions {
    std::vector<std::string> argv;
    Stream stdin_stream = Inherit{};
    Stream stdout_stream = Inherit{};
    Stream stderr_stream = Inherit{};
    bool merge_stderr_into_stdout = false;
    // Where the child starts; empty keeps the parent's.
    std::filesystem::path working_dir;
    // The child leads its own process group, so terminal Ctrl-C reaches uk, not QEMU.
    bool new_process_group = true;
    // The child leads its own session, out of reach of the terminal's hang-up (detached VMs).
    bool new_session = false;
    // The kernel kills the child if uk dies first (PR_SET_PDEATHSIG).
    bool die_with_parent = true;
    // Descriptors of the parent's (above 2) that the child inherits at the same numbers;
    // every other one is closed on exec.
    std::vector<int> inherited_fds;
};

// The argv as one line a POSIX shell reads back into the same argv (for --dry-run and -v).
std::string shell_quote(const std::vector<std::string>& argv);

// The status a shell reports: the exit code, or 128 + the terminating signal.
int shell_status(int wait_status);

class Process {
public:
    static Result<Process> spawn(const SpawnOptions& options);

    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    pid_t pid() const { return pid_; }
    bool running() const { return !status_; }
    // The parent's end of a Pipe stream, or -1.
    int stdin_fd() const { return stdin_fd_; }
    int stdout_fd() const { return stdout_fd_; }
    int stderr_fd() const { return stderr_fd_; }
    void close_stdin();

    // Non-blocking; the shell status once the child has exited.
    std::optional<int> poll();
    int wait();
    std::optional<int> wait_for(std::chrono::milliseconds timeout);
    void send_signal(int signal);
    // SIGKILL to the child's process group (or the child), then reaps it.
    void kill();
    // Lets the child live on after this object: nothing is killed or waited for.
    void release();

private:
    Process() = default;
    void release_fds();

    pid_t pid_ = -1;
    bool own_group_ = false;
    std::optional<int> status_;
    int stdin_fd_ = -1;
    int stdout_fd_ = -1;
    int stderr_fd_ = -1;
};

// Runs argv to its end with stdin from /dev/null, and returns its shell status and what
// it wrote on stdout and stderr together (for tools whose messages go into uk's errors).
struct ToolRun {
    int status = 0;
    std::string output;
    std::string first_line() const { return output.substr(0, output.find('\n')); }
};
// `cancelled` is asked every 100 ms: true kills the tool and gives ErrorKind::interrupted.
Result<ToolRun> run_tool(const std::vector<std::string>& argv, const std::function<bool()>& cancelled = {});

// Looks a program up in PATH the way execvp would; empty if it is not there.
std::optional<std::filesystem::path> find_in_path(const std::string& program);

} // namespace uk
