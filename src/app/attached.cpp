#include "app/attached.hpp"

#include "app/outcome.hpp"

#include <csignal>

namespace uk::app {
namespace {

// Keeps the record current while the VM runs: `uk ps` shows it, `uk instance stop` finds it.
class RecordingView final : public RunView {
public:
    RecordingView(const instance::Store& store, instance::Record& record, AttachedView& view)
        : store_(store), record_(record), view_(view)
    {
    }
    void running() override { view_.running(); }
    void console_line(std::string_view line) override { view_.console_line(line); }
    void stopping(bool forced) override
    {
        record_.stop_requested = true;
        (void)store_.save(record_); // only `uk ps` reads it; the run goes on without it
        view_.stopping(forced);
    }

private:
    const instance::Store& store_;
    instance::Record& record_;
    AttachedView& view_;
};

} // namespace

Result<int> run_attached(const instance::Store& store, instance::Record record, const vm::VmSpec& spec,
                         vm::Backend& backend, AttachedView& view, StopRequests& stops)
{
    auto files = store.files(record.name);
    auto machine = backend.start(spec, files.qemu_log());
    if (!machine) {
        (void)store.remove(record.name);
        return fail(machine.error());
    }
    record.qemu_pid = (*machine)->pid();
    (void)store.save(record);
    view.started(record.qemu_pid);
    RecordingView recording(store, record, view);
    auto outcome = supervise(**machine, {.console_log = files.console_log()}, recording, stops);
    auto status = outcome ? run_result(*outcome, spec.accelerator, backend.name(), files.console_log())
                          : Result<int>(fail(outcome.error()));
    machine->reset();
    if (status && outcome->oom_kill && *status == 128 + SIGKILL)
        view.out_of_memory(out_of_memory_message(*outcome->oom_kill, record.memory_mib));
    if (!status && status.error().kind == ErrorKind::guest_failed) {
        // The error names the console log: the instance stays, listed, so it can be read
        // and removed like any other.
        if (outcome && outcome->hypervisor_stop)
            (void)instance::write_failure(files, {*outcome->hypervisor_stop, status.error()});
        std::error_code ec;
        std::filesystem::remove(files.qmp_socket(), ec);
    } else {
        (void)store.remove(record.name);
    }
    return status;
}

} // namespace uk::app
