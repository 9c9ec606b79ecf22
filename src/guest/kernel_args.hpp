// The guest kernel's command line (docs/guest.md explains every argument).
#pragma once

#include "core/arch.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace uk::guest {

// A static IPv4 configuration for eth0, applied by uk-init (uk.ip=, uk.gw=, uk.dns=).
// The gateway and the DNS servers may be left out; with DHCP only the DNS servers count.
struct GuestAddress {
    std::string address;
    unsigned prefix_length = 24;
    std::string gateway;
    std::vector<std::string> dns;
    std::string ipv6; // "fd00::2/64" (uk.ip6=), beside the router advertisements' own
};

// A file system uk-init mounts before the program starts (uk.vol=, uk.share=), in the
// order given: ext4 on a virtio disk the guest finds by its serial, or a host folder over
// 9P found by its mount tag.
struct GuestMount {
    enum class Kind { volume, host_folder };
    Kind kind = Kind::volume;
    std::string device; // the disk's serial or the share's tag: [a-z0-9-], uk chooses them
    std::string target; // absolute
    bool read_only = false;
};

// The longest command line x86 Linux takes (COMMAND_LINE_SIZE, with its NUL).
inline constexpr std::size_t max_command_line = 2047;

// A hypervisor's NAT's fixed plan (QEMU's user networking): guest 10.0.2.15, gateway
// 10.0.2.2, DNS 10.0.2.3.
GuestAddress user_network_address();

struct GuestBoot {
    Arch arch = Arch::amd64; // arm64: the PL011 console, none of x86's timer arguments
    bool has_pci = false;  // an x86 machine without PCI (microvm) gets pci=off: no probing
    bool emulated = true;  // TCG: the CPU is emulated, which some arguments are about
    std::string root_device; // "PARTUUID=..." (an image's root partition) or "/dev/vda"
    std::string root_file_system = "squashfs"; // or "erofs"
    bool root_in_place = false; // DAX: the root's device is persistent memory
    std::optional<GuestAddress> address;
    bool dhcp = false; // the kernel's DHCP client configures eth0 (tap and bridge without --ip)
    // Emulated only: the host TSC rate, and the kernel's HZ when it is uk's own kernel
    // (whose lapic_timer_period parameter needs it).
    std::optional<std::uint32_t> tsc_khz;
    std::optional<unsigned> kernel_hz;
    bool verbose = false;
    bool probe = false; // uk-init only proves that user space is reached, then powers off
    std::vector<GuestMount> mounts;
};

std::string guest_kernel_args(const GuestBoot& boot);

} // namespace uk::guest
