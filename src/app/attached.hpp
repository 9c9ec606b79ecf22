// uk run, attached: the console to a view, Ctrl-C stops the VM gracefully and twice at
// once, and uk's exit status is the program's.
#pragma once

#include "app/supervise.hpp"
#include "core/error.hpp"
#include "core/signals.hpp"
#include "instance/store.hpp"
#include "vm/backend.hpp"

namespace uk::app {

class AttachedView : public RunView {
public:
    // The VM's process started (before it runs the guest).
    virtual void started(int pid) { (void)pid; }
    // The program ended because the guest's kernel killed it for memory: what to tell the
    // user (app/outcome.hpp), beside the exit status the run still returns.
    virtual void out_of_memory(const std::string& message) { (void)message; }
};

// Runs the instance whose folder and record `store` already holds. Whatever happens, no
// VM outlives the call, and nothing is left behind but the folder of a guest that failed,
// whose console log the error names (it stays listed, as failed or crashed, until
// removed).
Result<int> run_attached(const instance::Store& store, instance::Record record, const vm::VmSpec& spec,
                         vm::Backend& backend, AttachedView& view, StopRequests& stops);

} // namespace uk::app
