// The test process's own surroundings: environment variables set for one test, and the
// processes it may have left behind.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace uk::test {

// Sets an environment variable for the life of the object, then puts back what was there.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const std::string& value);
    ~ScopedEnv();
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_;
    std::optional<std::string> previous_;
};

// A /proc/cpuinfo in `folder` whose first CPU has these flags ("vmx", "hypervisor"...).
std::filesystem::path cpuinfo_with(const std::filesystem::path& folder, const std::string& flags);

// Pids of live processes (not zombies) whose command line contains `text`.
std::vector<int> processes_running_with(const std::string& text);

// Runs `check` in a child process without root's privileges when the test runs as root
// (as user nobody), so that a permission check can fail as it would for a user; returns
// what `check` returned. Not as root, it simply runs `check`.
std::string as_unprivileged_user(const std::function<std::string()>& check);

} // namespace uk::test
