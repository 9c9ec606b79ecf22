// A VM to run, described without naming a hypervisor. The use cases (src/app) build one
// from the user's settings; a backend (vm/backend.hpp; QEMU's is hypervisor/qemu_backend)
// turns it into its own command line. docs/architecture.md says what another backend
// (Firecracker, cloud-hypervisor) would need from it.
#pragma once

#include "core/error.hpp"
#include "settings/settings.hpp"

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace uk::vm {

enum class Accelerator { kvm, tcg };

// The hypervisor's own NAT: no privileges, ports published on the host.
struct UserNetwork {
    std::vector<settings::PortMapping> ports;
};
// An existing tap device, opened by the hypervisor.
struct TapNetwork {
    std::string device;
};
// A tap on a host bridge, created by a privileged helper (QEMU's qemu-bridge-helper).
struct BridgeNetwork {
    std::string bridge;
    std::filesystem::path helper;
};
struct NoNetwork {};
using Network = std::variant<UserNetwork, TapNetwork, BridgeNetwork, NoNetwork>;

// The published TCP ports of a network (none but for user networking).
std::vector<settings::PortMapping> tcp_ports(const Network& network);

// The kernel given straight to the VM, on a minimal machine without PCI or firmware
// (QEMU's microvm; what Firecracker and cloud-hypervisor boot).
struct DirectBoot {
    std::filesystem::path kernel;
    std::string command_line;
};

// UEFI firmware in flash: the read-only code and this VM's own copy of the variables.
struct UefiFirmware {
    std::filesystem::path code;
    std::filesystem::path variables;
};

// The first disk's own boot loader through firmware on a PC machine, as a cloud boots it:
// SeaBIOS, or UEFI when given.
struct FirmwareBoot {
    std::optional<UefiFirmware> uefi;
};

// How a disk is attached: virtio-blk (uk's default), virtio-scsi (GCP's), or NVMe (AWS
// Nitro's and GCP's newer machines). Direct boot has virtio-blk only.
enum class DiskBus { virtio, scsi, nvme };

struct Disk {
    std::filesystem::path file;
    bool read_only = false;
    std::string format = "raw"; // raw, qcow2, vmdk, vpc
    DiskBus bus = DiskBus::virtio;
    bool snapshot = false;      // writes go to a temporary overlay, never to the file
    // The name the guest finds the disk by (virtio-blk's serial, 20 bytes at most); empty
    // for the boot disk, which the kernel finds by its partition's UUID.
    std::string serial;
};

// A host folder shared with the guest (virtio-9p on QEMU, virtio-fs elsewhere), found in
// the guest by its tag. Files the guest creates belong to the user running the
// hypervisor; the guest's symlinks resolve inside the guest, never on the host.
struct SharedFolder {
    std::filesystem::path folder;
    std::string tag; // 31 bytes at most
    bool read_only = false;
};

// A file the guest sees as persistent memory (virtio-pmem), read-only: QEMU maps it, so
// the guest reads it in place from the host's page cache, and every VM given the same
// file shares one copy. An image with an EROFS root is given this way on direct boot.
struct PersistentMemory {
    std::filesystem::path file;
    std::uint64_t size_bytes = 0; // the file's, a multiple of 2 MiB
};

// QEMU's gdb stub (or another backend's): a debugger attaches on 127.0.0.1:port; with
// `wait` the guest's CPUs stay halted until it says continue.
struct Debugger {
    std::uint16_t port = 1234;
    bool wait = false;
};

struct VmSpec {
    Arch arch = Arch::amd64; // the guest's: the machine the hypervisor emulates or runs
    Accelerator accelerator = Accelerator::tcg;
    std::uint32_t memory_mib = 128;
    unsigned cpus = 1;
    std::variant<DirectBoot, FirmwareBoot> boot;
    std::vector<Disk> disks;
    std::optional<PersistentMemory> persistent_memory; // direct boot only
    std::vector<SharedFolder> shared_folders;
    Network network = UserNetwork{};
    // Where other uk processes reach the running VM (to stop it, to ask whether its port
    // answers): a Unix socket in the instance's folder.
    std::filesystem::path control_socket;
    // Where `uk instance stats` asks uk-init's agent for the guest's figures: a Unix
    // socket in the instance's folder, a second serial port in the guest. Empty: none.
    std::filesystem::path agent_socket;
    std::optional<Debugger> debugger;
};

// The image the VM boots: its persistent memory (an EROFS root) or its first disk.
std::filesystem::path boot_image(const VmSpec& spec);

// Kept in an instance's folder, so that its monitor (and a later restart) can start it.
nlohmann::json to_json(const VmSpec& spec);
Result<VmSpec> spec_from_json(const nlohmann::json& json);

} // namespace uk::vm
