#include "cli/backend.hpp"

namespace uk::cli {

Result<QemuHost> qemu_host(const Context& context)
{
    auto paths = state::resolve_paths(context.environment);
    if (!paths)
        return fail(paths.error());
    auto qemu = hypervisor::find_qemu(context.environment("UK_QEMU"), paths->cache);
    if (!qemu)
        return fail(qemu.error());
    auto arm64_qemu = hypervisor::find_qemu(context.environment("UK_QEMU_ARM64"), paths->cache, Arch::arm64);
    return QemuHost{*paths, hypervisor::QemuBackend(*qemu, std::move(arm64_qemu))};
}

hypervisor::QemuBackend running_vms_backend(const Context& context, const state::Paths& paths)
{
    auto qemu = hypervisor::find_qemu(context.environment("UK_QEMU"), paths.cache);
    return hypervisor::QemuBackend(qemu.value_or(hypervisor::QemuBinary{}),
                                   hypervisor::find_qemu(context.environment("UK_QEMU_ARM64"), paths.cache, Arch::arm64));
}

} // namespace uk::cli
