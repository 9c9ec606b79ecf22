#include "e2e/uk_cli.hpp"

#include "support/tools.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace uk::test {

std::vector<std::string> UkResult::error_lines() const
{
    std::vector<std::string> lines;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

UkCli::UkCli() = default;

std::string UkCli::binary()
{
    // UK_TEST_UK runs the tests against another uk, e.g. the one the Debian package
    // installed (packaging/check-package.sh); by default, the one this build made.
    const char* other = std::getenv("UK_TEST_UK");
    return other && *other ? other : UK_TEST_BINARY;
}

UkCli::~UkCli()
{
    // Monitors first: under a restart policy one would start its VM again.
    for (int pid : running_monitors())
        ::kill(pid, SIGKILL);
    for (int pid : running_qemus())
        ::kill(pid, SIGKILL);
}

std::vector<std::string> UkCli::argv(const std::vector<std::string>& args) const
{
    // env(1) gives uk the environment a user's shell would, plus UK_HOME, minus any AWS
    // credentials of the machine's (the upload tests give their own).
    std::vector<std::string> argv{"env", "-u", "AWS_ACCESS_KEY_ID", "-u", "AWS_SECRET_ACCESS_KEY", "-u",
                                  "AWS_SESSION_TOKEN", "-u", "AWS_PROFILE", "UK_HOME=" + home_.path().string(),
                                  "AWS_SHARED_CREDENTIALS_FILE=" + (home_ / "no-aws-credentials").string()};
    argv.insert(argv.end(), environment_.begin(), environment_.end());
    argv.push_back(binary());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

UkResult UkCli::run(const std::vector<std::string>& args, std::chrono::seconds timeout)
{
    auto out = work_ / "run.out", err = work_ / "run.err";
    auto process = uk::Process::spawn({.argv = argv(args), .stdin_stream = uk::DevNull{}, .stdout_stream = out,
                                       .stderr_stream = err, .working_dir = work_.path()});
    if (!process)
        throw std::runtime_error(process.error().message);
    auto status = process->wait_for(timeout);
    if (!status)
        process->kill();
    UkResult result{status.value_or(-1), read_text(out), read_text(err)};
    record(args, result);
    return result;
}

uk::Process UkCli::start(const std::vector<std::string>& args)
{
    auto process = uk::Process::spawn({.argv = argv(args), .stdin_stream = uk::DevNull{},
                                       .stdout_stream = work_ / "started.out", .stderr_stream = work_ / "started.err",
                                      .working_dir = work_.path()});
    if (!process)
        throw std::runtime_error(process.error().message);
    return std::move(*process);
}

void UkCli::record(const std::vector<std::string>& args, const UkResult& result) const
{
    // scripts/bad-input-table turns these into docs/bad-input.md.
    const char* file = std::getenv("UK_TEST_RECORD");
    if (!file || !*file || result.status == 0)
        return;
    auto lines = result.error_lines();
    auto errors = std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l.starts_with("uk: error: "); });
    if (errors != 1)
        return;
    auto replace_all = [](std::string text, const std::string& from, const std::string& to) {
        for (auto at = text.find(from); !from.empty() && at != std::string::npos; at = text.find(from, at + to.size()))
            text.replace(at, from.size(), to);
        return text;
    };
    auto plain = [&](std::string text) {
        text = replace_all(text, home_.path().string(), "$UK_HOME");
        text = replace_all(text, work_.path().string(), ".");
        return replace_all(text, std::filesystem::path(UK_TEST_BINARY).parent_path().parent_path().parent_path().string(),
                           "build");
    };
    nlohmann::json given = nlohmann::json::array();
    for (const auto& arg : args)
        given.push_back(plain(arg));
    std::string message;
    for (const auto& line : lines)
        if (line.starts_with("uk: error: "))
            message = plain(line);
    nlohmann::json entry{{"test", Catch::getResultCapture().getCurrentTestName()},
                         {"args", given},
                         {"status", result.status},
                         {"error", message}};
    std::ofstream(file, std::ios::app) << entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

std::string UkCli::started_output() const { return read_text(work_ / "started.out"); }
std::string UkCli::started_errors() const { return read_text(work_ / "started.err"); }

UkCli::HttpWait UkCli::wait_for_http_ok(uk::Process& run, std::uint16_t port, const std::string& path,
                                        std::chrono::seconds deadline)
{
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        auto response = http_get("127.0.0.1", port, path, std::chrono::milliseconds(500));
        if (response && response->status == 200)
            return {response, {}};
        if (auto status = run.poll()) {
            std::string last;
            std::istringstream lines(started_errors());
            for (std::string line; std::getline(lines, line);)
                if (!line.empty())
                    last = line;
            return {std::nullopt, "uk exited with status " + std::to_string(*status) + " before port " +
                                      std::to_string(port) + " answered; its last line: " + last};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return {std::nullopt, "no HTTP 200 on port " + std::to_string(port) + " within " +
                              std::to_string(deadline.count()) + " s while uk kept running"};
}

namespace {

std::string read_proc_file(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return {(std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()};
}

// The pids whose /proc folder `matches` accepts.
std::vector<int> processes_where(const std::function<bool(const std::filesystem::path&)>& matches)
{
    std::vector<int> pids;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") == std::string::npos && matches(entry.path()))
            pids.push_back(std::stoi(name));
    }
    return pids;
}

} // namespace

std::vector<int> UkCli::running_qemus() const
{
    return processes_where([&](const std::filesystem::path& proc) {
        auto cmdline = read_proc_file(proc / "cmdline");
        bool qemu = cmdline.find("qemu-system") != std::string::npos || cmdline.find("fake-qemu") != std::string::npos;
        return qemu && cmdline.find(home_.path().string()) != std::string::npos;
    });
}

std::vector<int> UkCli::running_monitors() const
{
    auto home = "UK_HOME=" + home_.path().string() + '\0';
    return processes_where([&](const std::filesystem::path& proc) {
        return read_proc_file(proc / "cmdline").find(std::string("instance\0monitor\0", 17)) != std::string::npos &&
               read_proc_file(proc / "environ").find(home) != std::string::npos;
    });
}

std::vector<std::string> UkCli::images() const { return names_in(home_ / "images"); }

std::vector<std::string> UkCli::instances() const { return names_in(home_ / "instances"); }

} // namespace uk::test
