// The guest kernel's command line (docs/guest.md explains every argument).
#pragma once

#include "hypervisor/qemu_command.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace uk::hypervisor {

// A static IPv4 configuration for eth0, applied by uk-init (uk.ip=, uk.gw=, uk.dns=).
// The gateway and the DNS servers may be left out; with DHCP only the DNS servers count.
struct GuestAddress {
    std::string address;
    unsigned prefix_length = 24;
    std::string gateway;
    std::vector<std::string> dns;
};

// QEMU user networking's fixed plan: guest 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3.
GuestAddress user_network_address();

struct GuestBoot {
    Machine machine = Machine::microvm;
    Accelerator accelerator = Accelerator::tcg;
    std::string root_device; // "PARTUUID=..." (an image's root partition) or "/dev/vda"
    std::optional<GuestAddress> address;
    bool dhcp = false; // the kernel's DHCP client configures eth0 (tap and bridge without --ip)
    // TCG only: the host TSC rate, and the kernel's HZ when it is uk's own kernel (whose
    // lapic_timer_period parameter needs it).
    std::optional<std::uint32_t> tsc_khz;
    std::optional<unsigned> kernel_hz;
    bool verbose = false;
    bool probe = false; // uk-init only proves that user space is reached, then powers off
};

std::string guest_kernel_args(const GuestBoot& boot);

} // namespace uk::hypervisor
