#include "guest/kernel_args.hpp"

namespace uk::guest {
namespace {

// Paths travel %-encoded: the command line splits words at spaces, and uk-init splits a
// mount at its ':'.
std::string encoded(const std::string& path)
{
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char byte : path) {
        auto c = static_cast<unsigned char>(byte);
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                     c == '.' || c == '_' || c == '-';
        if (plain) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15u];
        }
    }
    return out;
}

} // namespace

GuestAddress user_network_address() { return {"10.0.2.15", 24, "10.0.2.2", {"10.0.2.3"}}; }

std::string guest_kernel_args(const GuestBoot& boot)
{
    bool x86 = boot.arch == Arch::amd64;
    // The first serial port: the 8250 at COM1 on x86, the virt machine's PL011 on arm64.
    std::string args = x86 ? "console=ttyS0" : "console=ttyAMA0";
    args += boot.verbose ? " loglevel=7" : " quiet";
    // No rootwait: the kernel probes virtio-blk before it mounts the root (it waits for
    // every probe first), so a root that is not there at once never comes, and waiting
    // would hang the run; without it the kernel panics and the run ends with the reason.
    args += " root=" + boot.root_device + " rootfstype=" + boot.root_file_system + " ro";
    if (boot.root_in_place)
        args += " rootflags=dax";
    args += " init=/sbin/uk-init";
    args += " panic=-1";
    if (x86)
        args += " tsc=reliable";
    if (x86 && !boot.has_pci)
        args += " pci=off";
    if (x86 && boot.emulated) {
        // A one-CPU kernel rewrites the LOCK prefix of some 4,000 instructions at boot, one
        // text_poke each: two TLB flushes and a retranslation apiece under emulation, about
        // 0.1 s. Left locked they cost nothing measurable.
        args += " noreplace-smp";
        if (boot.tsc_khz)
            args += " tsc_early_khz=" + std::to_string(*boot.tsc_khz);
        // QEMU's emulated local APIC timer counts at 1 GHz.
        if (boot.kernel_hz && *boot.kernel_hz > 0)
            args += " lapic_timer_period=" + std::to_string(1'000'000'000u / *boot.kernel_hz);
    }
    // uk-init sets a static address from these (docs/guest.md: the kernel's own ip= spends
    // 50-140 ms of boot sleeping under emulation); the kernel's autoconfiguration is for
    // DHCP only.
    args += boot.dhcp ? " ip=dhcp" : " ip=off";
    if (boot.address) {
        const auto& a = *boot.address;
        if (!boot.dhcp && !a.address.empty()) {
            args += " uk.ip=" + a.address + "/" + std::to_string(a.prefix_length);
            if (!a.gateway.empty())
                args += " uk.gw=" + a.gateway;
        }
        if (!a.ipv6.empty())
            args += " uk.ip6=" + a.ipv6;
        if (!a.dns.empty()) {
            args += " uk.dns=";
            for (std::size_t i = 0; i < a.dns.size(); i++)
                args += (i ? "," : "") + a.dns[i];
        }
    }
    for (const auto& mount : boot.mounts)
        args += std::string(mount.kind == GuestMount::Kind::volume ? " uk.vol=" : " uk.share=") + mount.device + ":" +
                encoded(mount.target) + (mount.read_only ? ":ro" : "");
    if (boot.probe)
        args += " uk-probe"; // passed to init as an argument: the kernel knows no such word
    return args;
}

} // namespace uk::guest
