#include "vm/accelerator.hpp"

#include "core/log.hpp"
#include "core/sha256.hpp"
#include "guest/embedded.hpp"
#include "guest/kernel_cache.hpp"
#include "image/probe_root.hpp"

namespace uk::vm {
namespace {

Result<hypervisor::ProbeGuest> probe_guest(const AcceleratorRequest& request)
{
    hypervisor::ProbeGuest guest;
    if (request.kernel.empty()) {
        auto kernel = guest::direct_boot_kernel(request.cache);
        if (!kernel)
            return fail(kernel.error());
        guest.kernel = *kernel;
        guest.kernel_sha256 = guest::kernel_record().sha256;
    } else {
        auto digest = sha256_file(request.kernel);
        if (!digest)
            return fail(digest.error());
        guest.kernel = request.kernel;
        guest.kernel_sha256 = *digest;
    }
    auto root = image::probe_root(request.cache / "kvm-probe", guest::init_program());
    if (!root)
        return fail(root.error());
    guest.root = *root;
    return guest;
}

} // namespace

hypervisor::KvmProbe probe_kvm(const AcceleratorRequest& request)
{
    auto guest = probe_guest(request);
    if (!guest)
        return {.boots = false, .reason = "uk cannot prepare its probe: " + guest.error().message};
    hypervisor::KvmProbeRequest probe{.qemu = request.qemu, .machine = request.machine, .guest = *guest};
    auto cache_file = request.cache / "kvm-probe" / "answers.json";
    auto key = hypervisor::kvm_probe_key(probe, request.kvm_device);
    if (auto kept = hypervisor::cached_kvm_probe(cache_file, key)) {
        log::detail("KVM probe: {} (kept from an earlier run; {} ms then)", kept->boots ? "boots" : kept->reason,
                    kept->took.count());
        return *kept;
    }
    auto measured = hypervisor::probe_kvm(probe);
    log::detail("KVM probe: {} in {} ms", measured.boots ? "boots" : measured.reason, measured.took.count());
    hypervisor::keep_kvm_probe(cache_file, key, measured);
    return measured;
}

Result<hypervisor::AcceleratorDecision> choose_accelerator(const AcceleratorRequest& request)
{
    return hypervisor::choose_accelerator(
        request.choice, [&] { return probe_kvm(request); }, request.kvm_device, request.cpuinfo);
}

} // namespace uk::vm
