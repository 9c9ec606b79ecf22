#include "app/accelerator.hpp"

#include "core/log.hpp"
#include "core/sha256.hpp"
#include "guest/embedded.hpp"
#include "guest/kernel_cache.hpp"
#include "image/probe_root.hpp"

namespace uk::app {
namespace {

// uk's guest for the host's architecture; --kernel takes an x86-64 kernel, which an arm64
// host's KVM cannot run, so there the probe boots uk's own arm64 kernel.
Result<vm::ProbeGuest> probe_guest(const AcceleratorRequest& request)
{
    vm::ProbeGuest guest{.arch = host_arch()};
    if (request.kernel.empty() || guest.arch != Arch::amd64) {
        auto kernel = guest::direct_boot_kernel(request.cache, guest.arch);
        if (!kernel)
            return fail(kernel.error());
        guest.kernel = *kernel;
        guest.kernel_sha256 = guest::kernel_record(guest.arch).sha256;
    } else {
        auto digest = sha256_file(request.kernel);
        if (!digest)
            return fail(digest.error());
        guest.kernel = request.kernel;
        guest.kernel_sha256 = *digest;
    }
    auto root = image::probe_root(request.cache / "kvm-probe", guest::init_program(guest.arch));
    if (!root)
        return fail(root.error());
    guest.root = *root;
    return guest;
}

} // namespace

Result<AcceleratorDecision> decide_accelerator(settings::AcceleratorChoice choice, const KvmProber& probe,
                                               const std::filesystem::path& kvm_device,
                                               const std::filesystem::path& cpuinfo, Arch host)
{
    using settings::AcceleratorChoice;
    if (choice == AcceleratorChoice::tcg)
        return AcceleratorDecision{vm::Accelerator::tcg, {}, std::nullopt};
    auto kvm = vm::check_kvm(kvm_device, cpuinfo, host);
    if (!kvm.usable) {
        if (choice == AcceleratorChoice::kvm)
            return fail(ErrorKind::unavailable, "--accel kvm: {}; to fix: {}", kvm.reason, kvm.fix);
        return AcceleratorDecision{vm::Accelerator::tcg,
                                   fmt::format("no KVM ({}): running under TCG emulation, 10-50x slower; 'uk doctor' "
                                               "says how to fix it",
                                               kvm.reason),
                                   std::nullopt};
    }
    auto probed = probe();
    if (probed.boots)
        return AcceleratorDecision{vm::Accelerator::kvm, {}, probed};
    if (choice == AcceleratorChoice::kvm)
        return fail(ErrorKind::unavailable,
                    "--accel kvm: KVM on this host cannot run uk's guest: {}; use --accel tcg or auto, and see 'uk "
                    "doctor'",
                    probed.reason);
    return AcceleratorDecision{vm::Accelerator::tcg,
                               fmt::format("KVM on this host cannot run uk's guest: {}; using TCG emulation, 10-50x "
                                           "slower ('uk doctor' says more)",
                                           probed.reason),
                               probed};
}

vm::KvmProbe probe_kvm(vm::Backend& backend, const AcceleratorRequest& request)
{
    auto guest = probe_guest(request);
    if (!guest)
        return {.boots = false, .reason = "uk cannot prepare its probe: " + guest.error().message};
    auto cache_file = request.cache / "kvm-probe" / "answers.json";
    auto key = vm::kvm_probe_key(backend.identity(), guest->kernel_sha256, request.firmware_machine, request.kvm_device);
    if (auto kept = vm::cached_kvm_probe(cache_file, key)) {
        log::detail("KVM probe: {} (kept from an earlier run; {} ms then)", kept->boots ? "boots" : kept->reason,
                    kept->took.count());
        return *kept;
    }
    auto measured = backend.probe_kvm(*guest, request.firmware_machine);
    log::detail("KVM probe: {} in {} ms", measured.boots ? "boots" : measured.reason, measured.took.count());
    vm::keep_kvm_probe(cache_file, key, measured);
    return measured;
}

Result<AcceleratorDecision> choose_accelerator(vm::Backend& backend, const AcceleratorRequest& request)
{
    return decide_accelerator(
        request.choice, [&] { return probe_kvm(backend, request); }, request.kvm_device, request.cpuinfo);
}

} // namespace uk::app
