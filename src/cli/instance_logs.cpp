// uk instance logs: an instance's console, as uk run would have shown it; -f follows it
// until the VM ends.
#include "cli/console_view.hpp"
#include "cli/instance_commands.hpp"
#include "core/exit_status.hpp"
#include "instance/store.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

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
    std::ifstream in(files.console_log(), std::ios::binary);
    if (!in)
        return fail(ErrorKind::not_found, "instance {} has no console log yet", record->name);
    ConsoleFilter filter(options.all);
    std::string partial;
    auto show = [&](bool flush_partial) {
        std::string chunk;
        char buffer[8192];
        while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
            chunk.append(buffer, static_cast<std::size_t>(in.gcount()));
            if (in.eof())
                break;
        }
        in.clear();
        partial += chunk;
        std::size_t start = 0;
        for (auto newline = partial.find('\n'); newline != std::string::npos; newline = partial.find('\n', start)) {
            std::string_view line(partial.data() + start, newline - start);
            if (!line.empty() && line.back() == '\r')
                line.remove_suffix(1);
            if (auto shown = filter.filter(line)) {
                std::fwrite(shown->data(), 1, shown->size(), stdout);
                std::fputc('\n', stdout);
            }
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
    show(!options.follow);
    if (!options.follow)
        return exit_success;
    // Follow until the VM ends (or Ctrl-C, which ends uk as usual).
    while (instance::qemu_alive(record->qemu_pid, files)) {
        std::this_thread::sleep_for(100ms);
        show(false);
    }
    show(true);
    return exit_success;
}

} // namespace uk::cli
