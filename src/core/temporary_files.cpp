#include "core/temporary_files.hpp"

#include "core/file_lock.hpp"
#include "core/files.hpp"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <ctime>
#include <fstream>
#include <sstream>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace uk {
namespace {

constexpr std::string_view marker = ".uk-tmp.";
constexpr std::string_view lock_suffix = ".uk-lock";

bool is_lock_file(const std::string& name) { return name.starts_with(".") && name.ends_with(lock_suffix); }

// Nobody holds it: it can be taken right now.
bool unheld(const std::filesystem::path& lock)
{
    int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return free;
}

// When process `pid` started, in seconds since the epoch; 0 when it does not run.
std::time_t process_start(pid_t pid)
{
    // read_file, not a stream: a process that ends between the open and the read makes
    // the read fail (ESRCH), which libstdc++'s stream buffer turns into an exception.
    auto stat_text = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat_text)
        return 0;
    const std::string& text = *stat_text;
    auto close = text.rfind(')');
    if (close == std::string::npos)
        return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    unsigned long long start_ticks = 0;
    // Field 22 (starttime) is the 20th after the command name.
    for (int i = 3; i <= 22 && fields >> field; i++)
        if (i == 22)
            start_ticks = std::stoull(field);
    std::ifstream uptime_file("/proc/uptime");
    double uptime = 0;
    uptime_file >> uptime;
    auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return std::time(nullptr) - static_cast<std::time_t>(uptime - static_cast<double>(start_ticks) / ticks);
}

// The maker's pid in a temporary's name, or 0 when it is not one.
pid_t maker_of(const std::string& name)
{
    auto at = name.find(marker);
    if (!name.starts_with(".") || at == std::string::npos)
        return 0;
    auto digits = std::string_view(name).substr(at + marker.size());
    pid_t pid = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    return error == std::errc{} && end != digits.data() && *end == '.' ? pid : 0;
}

} // namespace

std::string temporary_pattern(const std::filesystem::path& target)
{
    auto directory = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    return (directory / ("." + target.filename().string() + std::string(marker) + std::to_string(::getpid()) +
                         ".XXXXXX"))
        .string();
}

std::vector<std::filesystem::path> stale_temporaries(const std::filesystem::path& folder)
{
    std::vector<std::filesystem::path> stale;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
        if (is_lock_file(entry.path().filename().string())) {
            if (unheld(entry.path()))
                stale.push_back(entry.path());
            continue;
        }
        auto pid = maker_of(entry.path().filename().string());
        if (pid <= 0 || pid == ::getpid())
            continue;
        struct stat st{};
        if (::lstat(entry.path().c_str(), &st) != 0)
            continue;
        bool gone = ::kill(pid, 0) != 0 && errno == ESRCH;
        // A pid reused since: the process that has it now started after the file was made.
        if (gone || process_start(pid) > st.st_mtime + 1)
            stale.push_back(entry.path());
    }
    return stale;
}

void remove_stale_temporaries(const std::filesystem::path& folder)
{
    for (const auto& file : stale_temporaries(folder)) {
        if (is_lock_file(file.filename().string())) {
            // Taken first, and removed by the lock itself while held: never from under a
            // uk that has just taken it (file_lock.hpp).
            (void)FileLock::try_acquire(file);
            continue;
        }
        std::error_code ec;
        std::filesystem::remove_all(file, ec); // a temporary may be a folder (a volume being made)
    }
}

std::filesystem::path lock_file_for(const std::filesystem::path& target)
{
    return target.parent_path() / ("." + target.filename().string() + std::string(lock_suffix));
}

} // namespace uk
