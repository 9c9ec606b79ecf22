// What a finished run means for the user: the program's exit status, or one line saying
// why there is none.
#pragma once

#include "app/supervise.hpp"
#include "core/error.hpp"
#include "vm/spec.hpp"

#include <filesystem>
#include <string>

namespace uk::app {

// The error for a guest the hypervisor stopped by itself: an accelerator that cannot run
// the guest is the host's problem (ErrorKind::unavailable, with the fix); a panic or a
// disk error is the guest's (ErrorKind::guest_failed, pointing at the console log).
// `said` is what the hypervisor reported (Machine::diagnostics), `hypervisor` its name.
Error hypervisor_stop_error(const std::string& run_state, vm::Accelerator accelerator, const std::string& said,
                            const std::string& hypervisor, const std::filesystem::path& console_log);

// What to say when the guest's kernel killed the program for memory: the memory the VM
// had, what the program held, and a --mem to try.
std::string out_of_memory_message(const guest::OomKill& killed, std::uint32_t memory_mib);

// The program's exit status, or the error that says why the run ended without one.
Result<int> run_result(const RunOutcome& outcome, vm::Accelerator accelerator, const std::string& hypervisor,
                       const std::filesystem::path& console_log);

} // namespace uk::app
