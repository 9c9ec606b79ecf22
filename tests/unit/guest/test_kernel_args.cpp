#include "guest/kernel_args.hpp"

#include <catch2/catch.hpp>

using namespace uk::guest;

TEST_CASE("kernel args: microvm under TCG with user networking", "[unit][hypervisor]")
{
    GuestBoot boot{.has_pci = false,
                   .emulated = true,
                   .root_device = "PARTUUID=2A040E24-65B1-42F9-A838-94E58F2A8DE0",
                   .address = user_network_address(),
                   .tsc_khz = 2096011,
                   .kernel_hz = 100};
    CHECK(guest_kernel_args(boot) ==
          "console=ttyS0 quiet root=PARTUUID=2A040E24-65B1-42F9-A838-94E58F2A8DE0 rootfstype=squashfs ro "
          "init=/sbin/uk-init panic=-1 tsc=reliable pci=off noreplace-smp tsc_early_khz=2096011 "
          "lapic_timer_period=10000000 ip=off uk.ip=10.0.2.15/24 uk.gw=10.0.2.2 uk.dns=10.0.2.3");
}

TEST_CASE("kernel args: KVM needs no timer hints, no network means ip=off, verbose shows messages", "[unit][hypervisor]")
{
    GuestBoot boot{.has_pci = true,
                   .emulated = false,
                   .root_device = "PARTUUID=X",
                   .tsc_khz = 2096011,
                   .kernel_hz = 100,
                   .verbose = true};
    CHECK(guest_kernel_args(boot) ==
          "console=ttyS0 loglevel=7 root=PARTUUID=X rootfstype=squashfs ro init=/sbin/uk-init panic=-1 "
          "tsc=reliable ip=off");
}

TEST_CASE("kernel args: the KVM probe boots a bare root and asks uk-init only to reach user space", "[unit][hypervisor]")
{
    GuestBoot boot{.has_pci = false, .emulated = false, .root_device = "/dev/vda", .probe = true};
    CHECK(guest_kernel_args(boot) ==
          "console=ttyS0 quiet root=/dev/vda rootfstype=squashfs ro init=/sbin/uk-init panic=-1 "
          "tsc=reliable pci=off ip=off uk-probe");
}

TEST_CASE("kernel args: an EROFS root on persistent memory is mounted in place (DAX)", "[unit][hypervisor]")
{
    GuestBoot boot{.has_pci = true,
                   .emulated = false,
                   .root_device = "PARTUUID=X",
                   .root_file_system = "erofs",
                   .root_in_place = true};
    CHECK(guest_kernel_args(boot) ==
          "console=ttyS0 quiet root=PARTUUID=X rootfstype=erofs ro rootflags=dax init=/sbin/uk-init panic=-1 "
          "tsc=reliable ip=off");
}

TEST_CASE("kernel args: an arm64 guest has the PL011 console and none of x86's timer and PCI words",
          "[unit][hypervisor]")
{
    GuestBoot boot{.arch = uk::Arch::arm64,
                   .has_pci = false,
                   .emulated = true,
                   .root_device = "PARTUUID=X",
                   .address = user_network_address(),
                   .tsc_khz = 2096011,
                   .kernel_hz = 100};
    CHECK(guest_kernel_args(boot) ==
          "console=ttyAMA0 quiet root=PARTUUID=X rootfstype=squashfs ro init=/sbin/uk-init panic=-1 ip=off "
          "uk.ip=10.0.2.15/24 uk.gw=10.0.2.2 uk.dns=10.0.2.3");
}
