// The host's TSC frequency, for guests under TCG.
//
// Under TCG the guest's TSC is the host's (QEMU reads the host counter), but the guest
// kernel often fails to calibrate it: on the microvm machine there is no HPET or ACPI PM
// timer to check against, PIT calibration under emulation is noisy, and then the kernel
// marks the TSC unstable and the boot hangs (2 boots in 8 here). Measuring the host TSC
// and passing tsc_early_khz= removes the guesswork. Under KVM, kvmclock does this job.
#pragma once

#include <cstdint>
#include <optional>

namespace uk::vm {

// Measured over a few milliseconds; empty when the host's TSC is not constant-rate.
std::optional<std::uint32_t> host_tsc_khz();

} // namespace uk::vm
