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
    return QemuHost{*paths, hypervisor::QemuBackend(*qemu)};
}

hypervisor::QemuBackend running_vms_backend(const Context& context, const state::Paths& paths)
{
    auto qemu = hypervisor::find_qemu(context.environment("UK_QEMU"), paths.cache);
    return hypervisor::QemuBackend(qemu.value_or(hypervisor::QemuBinary{}));
}

} // namespace uk::cli
