#include "app/stats.hpp"

#include "core/files.hpp"
#include "vm/spec.hpp"

namespace uk::app {

Result<guest::GuestStats> instance_stats(const instance::Store& store, const std::string& name,
                                         std::chrono::milliseconds timeout)
{
    auto record = store.load(name);
    if (!record)
        return fail(record.error());
    auto files = store.files(name);
    auto status = instance::status_of(*record, files);
    if (status.state == instance::State::restarting)
        return fail(ErrorKind::unavailable, "instance {} is waiting to restart: ask again once it runs", name);
    if (status.state != instance::State::running)
        return fail(ErrorKind::unavailable, "instance {} is not running ({}): start it with uk instance start {}", name,
                    instance::describe(status), name);
    std::error_code ec;
    // The agent answers on a second UART, which QEMU's arm64 virt machine does not have.
    if (auto text = read_file(files.vm_spec()))
        if (auto spec = vm::spec_from_json(nlohmann::json::parse(*text, nullptr, false)); spec && spec->arch != Arch::amd64)
            return fail(ErrorKind::unavailable,
                        "instance {} is an arm64 guest: uk instance stats asks an agent that x86-64 guests have, arm64 "
                        "ones not yet",
                        name);
    if (!std::filesystem::exists(files.agent_socket(), ec))
        return fail(ErrorKind::unavailable, "instance {} was started by a uk without the stats agent: restart it "
                                            "(uk instance restart {})",
                    name, name);
    auto stats = guest::ask_stats(files.agent_socket(), timeout);
    if (!stats)
        return fail(stats.error().kind, "instance {}: {}", name, stats.error().message);
    return stats;
}

double cpu_percent(const guest::GuestStats& before, const guest::GuestStats& after)
{
    double elapsed = after.uptime_s - before.uptime_s;
    if (elapsed <= 0)
        return 0;
    double busy = after.cpu.busy_s - before.cpu.busy_s;
    return busy <= 0 ? 0 : 100.0 * busy / elapsed;
}

} // namespace uk::app
