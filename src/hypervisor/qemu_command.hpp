// A typed description of a QEMU virtual machine and the argv that starts it. Pure: no
// I/O, so every option is checked by golden-argv unit tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace uk::hypervisor {

enum class Machine {
    microvm, // virtio-mmio, no PCI, no firmware: the fastest direct boot
    q35,     // PCI(e), what firmware boot and most clouds look like
};

enum class Accelerator { kvm, tcg };

enum class Protocol { tcp, udp };

struct PortForward {
    Protocol protocol = Protocol::tcp;
    std::string host_address = "127.0.0.1";
    std::uint16_t host_port = 0;
    std::uint16_t guest_port = 0;
};

// QEMU's own NAT (slirp): no privileges, ports published with hostfwd.
struct UserNetwork {
    std::vector<PortForward> forwards;
};
// An existing tap device, opened by QEMU.
struct TapNetwork {
    std::string device;
};
// A tap on a host bridge, created by qemu-bridge-helper.
struct BridgeNetwork {
    std::string bridge;
    std::filesystem::path helper;
};
struct NoNetwork {};
using Network = std::variant<UserNetwork, TapNetwork, BridgeNetwork, NoNetwork>;

// How the disk is attached: virtio-blk (uk's default), virtio-scsi (GCP's), or NVMe (AWS
// Nitro's and GCP's newer machines). microvm has virtio-blk only.
enum class DiskBus { virtio, scsi, nvme };

struct Drive {
    std::filesystem::path file;
    bool read_only = false;
    std::string format = "raw"; // raw, qcow2, vmdk, vpc
    DiskBus bus = DiskBus::virtio;
    bool snapshot = false;      // writes go to a temporary overlay, never to the file
};

// UEFI firmware in flash: the read-only code and this VM's own copy of the variables.
struct UefiFirmware {
    std::filesystem::path code;
    std::filesystem::path variables;
};

struct QemuConfig {
    std::filesystem::path binary = "qemu-system-x86_64";
    Machine machine = Machine::microvm;
    Accelerator accelerator = Accelerator::tcg;
    std::uint32_t memory_mib = 128;
    unsigned cpus = 1;
    std::filesystem::path kernel; // empty: the firmware boots the first disk
    std::string kernel_args;
    std::optional<UefiFirmware> uefi; // q35 without it boots through SeaBIOS
    std::vector<Drive> drives;
    Network network = UserNetwork{};
    std::filesystem::path qmp_socket; // QMP for other uk processes (stop, readiness)
    // A QMP connection QEMU inherits as this descriptor: the one that watches the guest's
    // run state (guest_watch.hpp).
    std::optional<int> watch_fd;
};

std::vector<std::string> qemu_argv(const QemuConfig& config);

// The arguments that give QEMU a QMP monitor on an inherited descriptor (watch_fd).
std::vector<std::string> qemu_watch_args(int fd);

// QEMU's escaping inside "key=value,..." option strings: a comma is written twice.
std::string escape_option_value(const std::string& value);


} // namespace uk::hypervisor
