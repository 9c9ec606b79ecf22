#include "support/environment.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

namespace uk::test {

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name))
{
    if (const char* old = std::getenv(name_.c_str()))
        previous_ = old;
    ::setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv()
{
    if (previous_)
        ::setenv(name_.c_str(), previous_->c_str(), 1);
    else
        ::unsetenv(name_.c_str());
}

std::filesystem::path cpuinfo_with(const std::filesystem::path& folder, const std::string& flags)
{
    auto file = folder / ("cpuinfo-" + std::to_string(std::hash<std::string>{}(flags)));
    std::ofstream(file) << "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu " << flags << " sse2\n\n";
    return file;
}

std::vector<int> processes_running_with(const std::string& text)
{
    std::vector<int> pids;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos || std::stoi(name) == ::getpid())
            continue;
        std::ifstream in(entry.path() / "cmdline", std::ios::binary);
        std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // A zombie's command line is empty.
        if (!cmdline.empty() && cmdline.find(text) != std::string::npos)
            pids.push_back(std::stoi(name));
    }
    return pids;
}

std::string as_unprivileged_user(const std::function<std::string()>& check)
{
    if (::geteuid() != 0)
        return check();
    int ends[2];
    if (::pipe(ends) != 0)
        return "<no pipe>";
    pid_t child = ::fork();
    if (child == 0) {
        ::close(ends[0]);
        constexpr uid_t nobody = 65534;
        if (::setgroups(0, nullptr) != 0 || ::setgid(nobody) != 0 || ::setuid(nobody) != 0)
            ::_exit(1);
        auto answer = check();
        (void)!::write(ends[1], answer.data(), answer.size());
        ::_exit(0);
    }
    ::close(ends[1]);
    std::string answer;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(ends[0], buffer, sizeof buffer)) > 0)
        answer.append(buffer, static_cast<std::size_t>(n));
    ::close(ends[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? answer : "<could not drop root's privileges>";
}

} // namespace uk::test
