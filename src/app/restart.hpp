// When a detached instance's monitor starts its VM again (uk run -d --restart), and
// after how long: Docker's rules, so that its users need to learn nothing new.
#pragma once

#include "settings/settings.hpp"

#include <chrono>
#include <optional>

namespace uk::app {

// How one run of the VM ended, as far as a restart policy cares.
struct RunEnd {
    std::optional<int> program_status; // none: the guest died (panic, QEMU killed, hypervisor stop)
    bool stop_requested = false;       // uk instance stop, or a signal to the monitor
};

// Whether the policy starts the VM again after `end`, having done so `restarts` times.
// A stop always ends the policy; on-failure takes a dead guest as a failure.
bool should_restart(const settings::RestartPolicy& policy, const RunEnd& end, unsigned restarts);

// Docker's back-off: 100 ms before the first restart, doubling before each next one up
// to 30 s, and back to 100 ms once a run lasted 10 s.
class RestartBackoff {
public:
    static constexpr std::chrono::milliseconds first{100};
    static constexpr std::chrono::milliseconds cap{30'000};
    static constexpr std::chrono::milliseconds steady_run{10'000};

    // The wait before the next start, given how long the run that just ended lasted.
    std::chrono::milliseconds next(std::chrono::milliseconds run_lasted);

private:
    std::chrono::milliseconds delay_{0};
};

} // namespace uk::app
