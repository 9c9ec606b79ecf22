// QEMU as uk's VM backend: direct boot on the microvm machine, firmware boot on q35
// (docs/decisions.md says why each), everything watched through QMP.
#pragma once

#include "hypervisor/host.hpp"
#include "hypervisor/qemu_command.hpp"
#include "vm/backend.hpp"

namespace uk::hypervisor {

// QEMU's own description of a VM: machine, CPU model and devices chosen for the spec.
QemuConfig qemu_config(const vm::VmSpec& spec, const std::filesystem::path& binary);

class QemuBackend final : public vm::Backend {
public:
    // qemu-system-x86_64, and qemu-system-aarch64 for arm64 guests (or why there is none).
    explicit QemuBackend(QemuBinary qemu, Result<QemuBinary> arm64_qemu = fail(ErrorKind::unavailable, "no arm64 QEMU"))
        : qemu_(std::move(qemu)), arm64_qemu_(std::move(arm64_qemu))
    {
    }

    std::string name() const override { return "QEMU"; }
    std::vector<std::string> command_line(const vm::VmSpec& spec) const override;
    Result<std::unique_ptr<vm::Machine>> start(const vm::VmSpec& spec, const std::filesystem::path& own_log) override;
    Status press_power_button(const std::filesystem::path& control_socket) override;
    Result<vm::Readiness> wait_until_guest_accepts(const std::filesystem::path& control_socket,
                                                   const settings::PortMapping& port, std::chrono::milliseconds timeout,
                                                   const std::function<bool()>& alive) override;
    vm::KvmProbe probe_kvm(const vm::ProbeGuest& guest, bool firmware_machine) override;
    std::string identity() const override;
    Result<vm::UefiFirmware> uefi_firmware(Arch arch) const override
    {
        return arch == Arch::arm64 ? find_arm64_uefi_firmware() : find_uefi_firmware();
    }

private:
    QemuBinary qemu_;
    Result<QemuBinary> arm64_qemu_;
};

} // namespace uk::hypervisor
