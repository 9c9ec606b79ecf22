// A typed description of a QEMU virtual machine and the argv that starts it. Pure: no
// I/O, so every option is checked by golden-argv unit tests.
#pragma once

#include "vm/spec.hpp"

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
    virt,    // arm64 (qemu-system-aarch64), GICv3: virtio-mmio devices on direct boot, PCI under AAVMF
};

using vm::Accelerator;
using vm::BridgeNetwork;
using vm::DiskBus;
using vm::Network;
using vm::NoNetwork;
using vm::TapNetwork;
using vm::UefiFirmware;
using vm::UserNetwork;
using Drive = vm::Disk;

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
    std::optional<vm::PersistentMemory> persistent_memory; // on microvm's PCIe
    std::vector<vm::SharedFolder> shared_folders;
    Network network = UserNetwork{};
    std::filesystem::path qmp_socket; // QMP for other uk processes (stop, readiness)
    std::filesystem::path agent_socket; // uk-init's stats agent, on the second serial port
    // A QMP connection QEMU inherits as this descriptor: the one that watches the guest's
    // run state (guest_watch.hpp).
    std::optional<int> watch_fd;
    std::optional<vm::Debugger> debugger; // -gdb tcp:127.0.0.1:PORT, and -S to wait for it
};

std::vector<std::string> qemu_argv(const QemuConfig& config);

// The arguments that give QEMU a QMP monitor on an inherited descriptor (watch_fd).
std::vector<std::string> qemu_watch_args(int fd);

// QEMU's escaping inside "key=value,..." option strings: a comma is written twice.
std::string escape_option_value(const std::string& value);


} // namespace uk::hypervisor
