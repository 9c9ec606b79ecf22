#include "hypervisor/qemu_backend.hpp"

#include "core/files.hpp"
#include "hypervisor/kvm_probe.hpp"
#include "hypervisor/qemu_machine.hpp"
#include "hypervisor/qmp.hpp"
#include "hypervisor/usernet_readiness.hpp"

namespace uk::hypervisor {

QemuConfig qemu_config(const vm::VmSpec& spec, const std::filesystem::path& binary)
{
    QemuConfig config{
        .binary = binary,
        .accelerator = spec.accelerator,
        .memory_mib = spec.memory_mib,
        .cpus = spec.cpus,
        .drives = spec.disks,
        .persistent_memory = spec.persistent_memory,
        .shared_folders = spec.shared_folders,
        .network = spec.network,
        .qmp_socket = spec.control_socket,
        .agent_socket = spec.agent_socket,
        .debugger = spec.debugger,
    };
    if (spec.arch == Arch::arm64) {
        // uk-init's stats agent reads a second UART, which the virt machine does not have.
        config.machine = Machine::virt;
        config.agent_socket.clear();
        if (const auto* direct = std::get_if<vm::DirectBoot>(&spec.boot)) {
            config.kernel = direct->kernel;
            config.kernel_args = direct->command_line;
        } else {
            config.uefi = std::get<vm::FirmwareBoot>(spec.boot).uefi;
        }
    } else if (const auto* direct = std::get_if<vm::DirectBoot>(&spec.boot)) {
        // QEMU 7.2's microvm places no memory device: persistent memory needs a PC machine.
        config.machine = spec.persistent_memory ? Machine::q35 : Machine::microvm;
        config.kernel = direct->kernel;
        config.kernel_args = direct->command_line;
    } else {
        config.machine = Machine::q35;
        config.uefi = std::get<vm::FirmwareBoot>(spec.boot).uefi;
    }
    return config;
}

std::vector<std::string> QemuBackend::command_line(const vm::VmSpec& spec) const
{
    if (spec.arch == Arch::arm64)
        return qemu_argv(qemu_config(spec, arm64_qemu_ ? arm64_qemu_->path : "qemu-system-aarch64"));
    return qemu_argv(qemu_config(spec, qemu_.path));
}

Result<std::unique_ptr<vm::Machine>> QemuBackend::start(const vm::VmSpec& spec, const std::filesystem::path& own_log)
{
    if (spec.arch == Arch::arm64 && !arm64_qemu_)
        return fail(arm64_qemu_.error());
    const auto& binary = spec.arch == Arch::arm64 ? arm64_qemu_->path : qemu_.path;
    auto machine = QemuMachine::start(qemu_config(spec, binary), own_log);
    if (!machine)
        return fail(machine.error());
    return std::unique_ptr<vm::Machine>(std::move(*machine));
}

Status QemuBackend::press_power_button(const std::filesystem::path& control_socket)
{
    auto qmp = QmpClient::connect(control_socket, std::chrono::seconds(2));
    if (!qmp)
        return fail(qmp.error());
    return qmp->execute("system_powerdown", std::chrono::seconds(2));
}

Result<vm::Readiness> QemuBackend::wait_until_guest_accepts(const std::filesystem::path& control_socket,
                                                            const settings::PortMapping& port,
                                                            std::chrono::milliseconds timeout,
                                                            const std::function<bool()>& alive)
{
    return hypervisor::wait_until_guest_accepts(control_socket, port, timeout, alive);
}

vm::KvmProbe QemuBackend::probe_kvm(const vm::ProbeGuest& guest, bool firmware_machine)
{
    // arm64 guests boot on the virt machine whether the run boots them directly or not.
    if (guest.arch == Arch::arm64) {
        if (!arm64_qemu_)
            return {.boots = false, .reason = arm64_qemu_.error().message};
        return hypervisor::probe_kvm({.qemu = arm64_qemu_->path, .machine = Machine::virt, .guest = guest});
    }
    return hypervisor::probe_kvm(
        {.qemu = qemu_.path, .machine = firmware_machine ? Machine::q35 : Machine::microvm, .guest = guest});
}

std::string QemuBackend::identity() const { return "qemu " + qemu_.version + " " + file_identity(qemu_.path); }

} // namespace uk::hypervisor
