// The VM backend the commands use: QEMU, found on PATH or through UK_QEMU.
#pragma once

#include "cli/command.hpp"
#include "hypervisor/qemu_backend.hpp"
#include "state/paths.hpp"

namespace uk::cli {

// Where uk keeps its files, and QEMU, checked (installed, new enough); an error that says
// how to get it otherwise.
struct QemuHost {
    state::Paths paths;
    hypervisor::QemuBackend backend;
};
Result<QemuHost> qemu_host(const Context& context);

// For acting on VMs already running (stopping them): their QEMU is whatever started them,
// so a missing or changed QEMU on PATH does not matter.
hypervisor::QemuBackend running_vms_backend(const Context& context, const state::Paths& paths);

} // namespace uk::cli
