#include "core/process.hpp"
#include "core/log.hpp"
#include "core/unique_fd.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace uk {
namespace {

struct ChildEnd {
    UniqueFd fd;        // what the child gets (none: inherit)
    UniqueFd parent_fd; // the parent's end of a pipe
};

Result<ChildEnd> open_stream(const Stream& stream, bool child_reads)
{
    if (std::holds_alternative<Inherit>(stream))
        return ChildEnd{};
    if (std::holds_alternative<DevNull>(stream)) {
        UniqueFd fd(::open("/dev/null", (child_reads ? O_RDONLY : O_WRONLY) | O_CLOEXEC));
        if (!fd)
            return fail(ErrorKind::io, "cannot open /dev/null: {}", std::strerror(errno));
        return ChildEnd{std::move(fd), UniqueFd()};
    }
    if (std::holds_alternative<Pipe>(stream)) {
        int ends[2];
        if (::pipe2(ends, O_CLOEXEC) < 0)
            return fail(ErrorKind::io, "cannot create a pipe: {}", std::strerror(errno));
        UniqueFd read_end(ends[0]), write_end(ends[1]);
        return child_reads ? ChildEnd{std::move(read_end), std::move(write_end)}
                           : ChildEnd{std::move(write_end), std::move(read_end)};
    }
    const auto& path = std::get<std::filesystem::path>(stream);
    int flags = child_reads ? O_RDONLY : (O_WRONLY | O_CREAT | O_TRUNC);
    UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
    if (!fd)
        return fail(ErrorKind::io, "cannot open {}: {}", path.string(), std::strerror(errno));
    return ChildEnd{std::move(fd), UniqueFd()};
}

void close_fd(int& fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

} // namespace

int shell_status(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return 255;
}

Result<Process> Process::spawn(const SpawnOptions& options)
{
    if (options.argv.empty())
        return fail(ErrorKind::internal, "spawn called without a program");
    if (log::verbose())
        log::detail("running {}", shell_quote(options.argv));

    // Every descriptor is owned until the child has it, so a failure on the way (a pipe,
    // fork) closes what was opened.
    auto in = open_stream(options.stdin_stream, true);
    if (!in)
        return fail(in.error());
    auto out = open_stream(options.stdout_stream, false);
    if (!out)
        return fail(out.error());
    auto err = options.merge_stderr_into_stdout ? Result<ChildEnd>(ChildEnd{}) : open_stream(options.stderr_stream, false);
    if (!err)
        return fail(err.error());

    // Everything the child needs is prepared before fork: after it, only
    // async-signal-safe calls are allowed.
    std::vector<char*> argv;
    for (const auto& arg : options.argv)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    int report_ends[2];
    if (::pipe2(report_ends, O_CLOEXEC) < 0)
        return fail(ErrorKind::io, "cannot create a pipe: {}", std::strerror(errno));
    UniqueFd report_read(report_ends[0]), report_write(report_ends[1]);
    int report[2] = {report_read.get(), report_write.get()};
    pid_t parent = ::getpid();
    int child_in = in->fd.get(), child_out = out->fd.get(), child_err = err->fd.get();

    pid_t pid = ::fork();
    if (pid < 0)
        return fail(ErrorKind::unavailable, "cannot start {}: {}", options.argv[0], std::strerror(errno));
    if (pid == 0) {
        if (options.new_session)
            ::setsid();
        else if (options.new_process_group)
            ::setpgid(0, 0);
        if (options.die_with_parent) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent)
                ::_exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (child_in >= 0)
            ::dup2(child_in, 0);
        if (child_out >= 0)
            ::dup2(child_out, 1);
        if (options.merge_stderr_into_stdout)
            ::dup2(1, 2);
        else if (child_err >= 0)
            ::dup2(child_err, 2);
        for (int fd : options.inherited_fds)
            ::fcntl(fd, F_SETFD, 0);
        if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) < 0) {
            int error = errno;
            (void)!::write(report[1], &error, sizeof error);
            ::_exit(127);
        }
        ::execvp(argv[0], argv.data());
        int error = errno;
        (void)!::write(report[1], &error, sizeof error);
        ::_exit(127);
    }

    report_write.reset();
    in->fd.reset(), out->fd.reset(), err->fd.reset();
    Process process;
    process.pid_ = pid;
    process.own_group_ = options.new_process_group || options.new_session;
    process.stdin_fd_ = in->parent_fd.release();
    process.stdout_fd_ = out->parent_fd.release();
    process.stderr_fd_ = err->parent_fd.release();

    int exec_error = 0;
    ssize_t n;
    while ((n = ::read(report_read.get(), &exec_error, sizeof exec_error)) < 0 && errno == EINTR) {
    }
    report_read.reset();
    if (n == static_cast<ssize_t>(sizeof exec_error)) {
        process.wait();
        return fail(exec_error == ENOENT ? ErrorKind::unavailable : ErrorKind::io, "cannot run {}: {}",
                    options.argv[0], std::strerror(exec_error));
    }
    return process;
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), own_group_(other.own_group_), status_(other.status_),
      stdin_fd_(std::exchange(other.stdin_fd_, -1)), stdout_fd_(std::exchange(other.stdout_fd_, -1)),
      stderr_fd_(std::exchange(other.stderr_fd_, -1))
{
}

Process& Process::operator=(Process&& other) noexcept
{
    if (this != &other) {
        if (pid_ > 0 && !status_)
            kill();
        release_fds();
        pid_ = std::exchange(other.pid_, -1);
        own_group_ = other.own_group_;
        status_ = other.status_;
        stdin_fd_ = std::exchange(other.stdin_fd_, -1);
        stdout_fd_ = std::exchange(other.stdout_fd_, -1);
        stderr_fd_ = std::exchange(other.stderr_fd_, -1);
    }
    return *this;
}

Process::~Process()
{
    if (pid_ > 0 && !status_)
        kill();
    release_fds();
}

void Process::release()
{
    release_fds();
    pid_ = -1;
}

void Process::release_fds()
{
    close_fd(stdin_fd_);
    close_fd(stdout_fd_);
    close_fd(stderr_fd_);
}

void Process::close_stdin() { close_fd(stdin_fd_); }

std::optional<int> Process::poll()
{
    if (status_ || pid_ <= 0)
        return status_;
    int wait_status = 0;
    pid_t got = ::waitpid(pid_, &wait_status, WNOHANG);
    if (got == pid_)
        status_ = shell_status(wait_status);
    return status_;
}

int Process::wait()
{
    while (!status_ && pid_ > 0) {
        int wait_status = 0;
        pid_t got = ::waitpid(pid_, &wait_status, 0);
        if (got == pid_)
            status_ = shell_status(wait_status);
        else if (got < 0 && errno != EINTR)
            status_ = 255;
    }
    return status_.value_or(255);
}

std::optional<int> Process::wait_for(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!poll()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
}

void Process::send_signal(int signal)
{
    if (pid_ > 0 && !status_)
        ::kill(pid_, signal);
}

void Process::kill()
{
    if (pid_ <= 0 || status_)
        return;
    if (own_group_)
        ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    wait();
}

std::string shell_quote(const std::vector<std::string>& argv)
{
    std::string line;
    for (const auto& arg : argv) {
        if (!line.empty())
            line += ' ';
        bool plain = !arg.empty();
        for (char c : arg)
            plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-_./=:,+@%").find(c) != std::string_view::npos);
        if (plain) {
            line += arg;
            continue;
        }
        line += '\'';
        for (char c : arg)
            line += c == '\'' ? std::string("'\\''") : std::string(1, c);
        line += '\'';
    }
    return line;
}

Result<ToolRun> run_tool(const std::vector<std::string>& argv, const std::function<bool()>& cancelled)
{
    auto process = Process::spawn(
        {.argv = argv, .stdin_stream = DevNull{}, .stdout_stream = Pipe{}, .merge_stderr_into_stdout = true});
    if (!process)
        return fail(process.error());
    ToolRun run;
    char buffer[4096];
    for (;;) {
        if (cancelled && cancelled()) {
            process->kill();
            return fail(ErrorKind::interrupted, "stopped while {} ran", std::filesystem::path(argv[0]).filename().string());
        }
        pollfd p{process->stdout_fd(), POLLIN, 0};
        if (::poll(&p, 1, 100) == 0)
            continue;
        ssize_t n = ::read(process->stdout_fd(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        run.output.append(buffer, static_cast<std::size_t>(n));
    }
    run.status = process->wait();
    return run;
}

std::optional<std::filesystem::path> find_in_path(const std::string& program)
{
    if (program.find('/') != std::string::npos)
        return ::access(program.c_str(), X_OK) == 0 ? std::optional(std::filesystem::path(program)) : std::nullopt;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (!dirs.empty()) {
        auto colon = dirs.find(':');
        auto dir = dirs.substr(0, colon);
        auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / program;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    }
    return std::nullopt;
}

} // namespace uk
