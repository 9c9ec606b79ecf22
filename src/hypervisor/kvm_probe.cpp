#include "hypervisor/kvm_probe.hpp"

#include "guest/console_protocol.hpp"
#include "guest/kernel_args.hpp"
#include "hypervisor/qemu_machine.hpp"

#include <type_traits>

namespace uk::hypervisor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view passed_line = "uk-init: probe passed";

std::chrono::milliseconds since(Clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// The kernel's panic line in the console so far, if it printed one.
std::string panic_in(const std::string& console)
{
    for (std::size_t start = 0; start < console.size();) {
        auto end = console.find('\n', start);
        auto line = std::string_view(console).substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (guest::is_kernel_panic_line(line)) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
                line.remove_suffix(1);
            return std::string(line.substr(line.find("Kernel panic")));
        }
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return {};
}

} // namespace

vm::KvmProbe probe_kvm(const KvmProbeRequest& request)
{
    auto start = Clock::now();
    auto failed = [&](std::string reason) { return vm::KvmProbe{false, std::move(reason), since(start), false}; };
    guest::GuestBoot boot{.arch = request.guest.arch,
                          .has_pci = request.machine == Machine::q35,
                          .emulated = false,
                          .root_device = "/dev/vda",
                          .probe = true};
    auto machine = QemuMachine::start({
        .binary = request.qemu,
        .machine = request.machine,
        .accelerator = Accelerator::kvm,
        .memory_mib = 64,
        .cpus = 1,
        .kernel = request.guest.kernel,
        .kernel_args = guest::guest_kernel_args(boot),
        .drives = {{.file = request.guest.root, .read_only = true}},
        .network = NoNetwork{},
    });
    if (!machine)
        return failed(machine.error().message);

    std::string console;
    std::optional<vm::KvmProbe> verdict;
    while (!verdict) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(start + request.timeout - Clock::now());
        if (left.count() <= 0) {
            verdict = failed(fmt::format("the guest did not reach user space within {} s under KVM",
                                         static_cast<double>(request.timeout.count()) / 1000.0));
            break;
        }
        std::visit(
            [&](auto&& event) {
                using Kind = std::decay_t<decltype(event)>;
                if constexpr (std::is_same_v<Kind, vm::event::Console>) {
                    if (console.size() < 256 * 1024)
                        console += event.bytes;
                    if (console.find(passed_line) != std::string::npos)
                        verdict = vm::KvmProbe{true, {}, since(start), false};
                    else if (auto panic = panic_in(console); !panic.empty())
                        verdict = failed(fmt::format("the guest kernel panicked under KVM (\"{}\")", panic));
                } else if constexpr (std::is_same_v<Kind, vm::event::HypervisorStop>) {
                    auto said = (*machine)->diagnostics();
                    verdict = failed(said.empty() ? fmt::format("QEMU stopped the guest ({})", event.run_state)
                                                  : fmt::format("QEMU stopped the guest and reported \"{}\"", said));
                } else if constexpr (std::is_same_v<Kind, vm::event::Ended>) {
                    auto said = (*machine)->diagnostics();
                    verdict = failed(!said.empty() ? fmt::format("QEMU reported \"{}\"", said)
                                                   : fmt::format("QEMU exited with status {} before the guest "
                                                                 "reached user space",
                                                                 event.status));
                }
            },
            (*machine)->next(left, -1));
    }
    (*machine)->kill();
    return *verdict;
}

} // namespace uk::hypervisor
