// The rate of an x86-64 guest's TSC under TCG, which the guest kernel is told.
//
// Under TCG the guest's TSC is QEMU's host tick count: on an x86-64 host the host's own
// TSC; on other hosts (arm64) QEMU has no cycle counter to read and counts the host's
// monotonic clock in nanoseconds, a 1 GHz TSC. The guest
// kernel often fails to calibrate it: on the microvm machine there is no HPET or ACPI PM
// timer to check against, PIT calibration under emulation is noisy, and then the kernel
// marks the TSC unstable and the boot hangs (2 boots in 8 here). Measuring the host TSC
// and passing tsc_early_khz= removes the guesswork. Under KVM, kvmclock does this job.
#pragma once

#include <cstdint>
#include <optional>

namespace uk::vm {

// On an x86-64 host measured over a few milliseconds, and empty when the host's TSC is not
// constant-rate; elsewhere 1 GHz.
std::optional<std::uint32_t> emulated_tsc_khz();

} // namespace uk::vm
