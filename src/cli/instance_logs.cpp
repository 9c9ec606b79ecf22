// uk instance logs: an instance's console, as uk run would have shown it; -f follows it
// until the VM ends.
#include "cli/console_view.hpp"
#include "cli/instance_commands.hpp"
#include "core/exit_status.hpp"
#include "instance/store.hpp"

#include "core/files.hpp"
#include "core/signals.hpp"
#include "core/unique_fd.hpp"

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace uk::cli {

using namespace std::chrono_literals;

Result<int> show_logs(const LogsOptions& options, const Context& context)
{
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    instance::Store store(paths->instances);
    auto record = store.load(options.name);
    if (!record)
        return fail(record.error());
    auto files = store.files(record->name);
    auto older = files.console_log();
    older += ".1";
    std::error_code ec;
    if (!std::filesystem::exists(files.console_log(), ec))
        return fail(ErrorKind::not_found, "instance {} has no console log yet", record->name);
    ConsoleFilter filter(options.all);
    std::string partial;
    auto print = [&](bool flush_partial) {
        std::size_t start = 0;
        for (auto newline = partial.find('\n'); newline != std::string::npos; newline = partial.find('\n', start)) {
            std::string_view line(partial.data() + start, newline - start);
            if (!line.empty() && line.back() == '\r')
                line.remove_suffix(1);
            print_console_line(filter, line);
            start = newline + 1;
        }
        partial.erase(0, start);
        if (flush_partial && !partial.empty()) {
            if (auto shown = filter.filter(partial))
                std::fwrite(shown->data(), 1, shown->size(), stdout);
            partial.clear();
        }
        std::fflush(stdout);
    };
    // The log moves to console.log.1 when it is full (docs/json.md): the older part first.
    if (auto earlier = read_file(older)) {
        partial += *earlier;
        print(false);
    }
    UniqueFd log(::open(files.console_log().c_str(), O_RDONLY | O_CLOEXEC));
    auto read_more = [&] {
        char buffer[8192];
        ssize_t n;
        while ((n = ::read(log.get(), buffer, sizeof buffer)) > 0)
            partial.append(buffer, static_cast<std::size_t>(n));
    };
    read_more();
    print(!options.follow);
    if (!options.follow)
        return exit_success;
    // Until the VM ends for good (a restart policy's next run is followed too), or Ctrl-C
    // (uk holds its stop signals, so it asks for them).
    auto live = [&] {
        auto latest = store.load(options.name);
        return latest && instance::is_live(instance::status_of(*latest, files).state);
    };
    while (live()) {
        if (auto signal = pending_stop_signal())
            return 128 + signal;
        std::this_thread::sleep_for(100ms);
        read_more();
        // Moved aside because it was full: the rest of it, then the new one.
        struct stat open_now{}, at_path{};
        if (::fstat(log.get(), &open_now) == 0 && ::stat(files.console_log().c_str(), &at_path) == 0 &&
            open_now.st_ino != at_path.st_ino) {
            read_more();
            log.reset(::open(files.console_log().c_str(), O_RDONLY | O_CLOEXEC));
            read_more();
        }
        print(false);
    }
    read_more();
    print(true);
    return exit_success;
}

} // namespace uk::cli
