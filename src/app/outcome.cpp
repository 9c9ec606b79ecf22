#include "app/outcome.hpp"

#include "guest/console_protocol.hpp"

namespace uk::app {

Error hypervisor_stop_error(const std::string& run_state, vm::Accelerator accelerator, const std::string& said,
                            const std::string& hypervisor, const std::filesystem::path& console_log)
{
    auto reported = said.empty() ? std::string() : fmt::format(" and reported \"{}\"", said);
    auto log = console_log.string();
    if (run_state == "internal-error" && accelerator == vm::Accelerator::kvm)
        return {ErrorKind::unavailable,
                fmt::format("KVM on this host cannot run uk's guest: {} stopped it{}; run with --accel tcg, and see "
                            "'uk doctor'",
                            hypervisor, reported)};
    if (run_state == "internal-error")
        return {ErrorKind::guest_failed,
                fmt::format("{} stopped the guest with an internal error{}; console log: {}", hypervisor, reported, log)};
    if (run_state == "guest-panicked")
        return {ErrorKind::guest_failed,
                fmt::format("the guest kernel panicked and {} stopped it; console log: {}", hypervisor, log)};
    if (run_state == "io-error")
        return {ErrorKind::guest_failed,
                fmt::format("{} stopped the guest after a disk I/O error{}; console log: {}", hypervisor, reported, log)};
    if (run_state == "paused")
        return {ErrorKind::guest_failed,
                fmt::format("the VM was paused by a {} \"stop\" that uk did not send, so uk ended it",
                            hypervisor == "QEMU" ? "QMP" : hypervisor)};
    return {ErrorKind::guest_failed,
            fmt::format("{} stopped the guest ({}){}; console log: {}", hypervisor, run_state, reported, log)};
}

std::string out_of_memory_message(const guest::OomKill& killed, std::uint32_t memory_mib)
{
    // Half as much again, in steps of 8M: enough to tell whether memory was all it lacked.
    auto more = (memory_mib * 3 / 2 + 7) / 8 * 8;
    return fmt::format("the guest's {}M of memory ran out and its kernel killed {} (which held {}M of its own): give "
                       "the VM more with --mem, e.g. --mem {}M",
                       memory_mib, killed.process, (killed.anon_rss_kib + 1023) / 1024, more);
}

Result<int> run_result(const RunOutcome& outcome, vm::Accelerator accelerator, const std::string& hypervisor,
                       const std::filesystem::path& console_log)
{
    if (outcome.program_status)
        return *outcome.program_status;
    if (outcome.hypervisor_stop)
        return fail(hypervisor_stop_error(*outcome.hypervisor_stop, accelerator, outcome.diagnostics, hypervisor,
                                          console_log));
    if (outcome.stop_requested)
        return fail(Error{ErrorKind::interrupted, "stopped the VM before its program exited", outcome.stop_signal});
    const auto& said = outcome.diagnostics;
    if (said.find("Could not set up host forwarding rule") != std::string::npos)
        return fail(ErrorKind::unavailable, "{} could not publish a port (it was taken just now?): choose another with -p",
                    hypervisor);
    // The probe passed, yet the hypervisor could not run this guest under KVM after all.
    if (accelerator == vm::Accelerator::kvm && outcome.hypervisor_status != 0 && !said.empty())
        return fail(ErrorKind::unavailable, "KVM on this host cannot run uk's guest: {} reported \"{}\"; run with "
                                            "--accel tcg, and see 'uk doctor'",
                    hypervisor, said);
    if (outcome.hypervisor_status != 0 && !said.empty())
        return fail(ErrorKind::unavailable, "{} failed: {}", hypervisor, said);
    if (guest::is_root_mount_panic(outcome.panic_line))
        return fail(ErrorKind::guest_failed,
                    "the guest kernel found no root file system to mount (a damaged image, or a --kernel without "
                    "virtio-blk or SquashFS); console log: {}",
                    console_log.string());
    if (guest::is_out_of_memory_panic(outcome.panic_line))
        return fail(ErrorKind::guest_failed,
                    "the guest ran out of memory before its program could run (the kernel found nothing left to "
                    "free): give the VM more with --mem; console log: {}",
                    console_log.string());
    if (!outcome.panic_line.empty())
        return fail(ErrorKind::guest_failed, "the guest kernel panicked ({}); console log: {}", outcome.panic_line,
                    console_log.string());
    return fail(ErrorKind::guest_failed, "the VM ended before its program reported an exit status; console log: {}",
                console_log.string());
}

} // namespace uk::app
