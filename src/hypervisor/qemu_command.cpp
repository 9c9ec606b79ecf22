#include "hypervisor/qemu_command.hpp"

#include <cctype>
#include <string_view>

namespace uk::hypervisor {
namespace {

std::string forward_rule(const settings::PortMapping& f)
{
    // hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport
    return std::string(f.protocol == settings::Protocol::tcp ? "tcp" : "udp") + ":" + f.host_address + ":" +
           std::to_string(f.host_port) + "-:" + std::to_string(f.guest_port);
}

} // namespace

std::string escape_option_value(const std::string& value)
{
    std::string out;
    for (char c : value) {
        out += c;
        if (c == ',')
            out += ',';
    }
    return out;
}

std::vector<std::string> qemu_argv(const QemuConfig& c)
{
    bool microvm = c.machine == Machine::microvm;
    bool virt = c.machine == Machine::virt;
    // microvm's devices and those of a directly booted virt machine sit on virtio-mmio
    // ("-device"); q35's and a firmware-booted virt's on PCI ("-pci"), as a cloud's are; an
    // empty romfile stops the firmware from loading the iPXE option ROM of virtio-net.
    bool mmio = microvm || (virt && !c.kernel.empty());
    auto device = [&](const std::string& kind) { return kind + (mmio ? "-device" : "-pci"); };

    std::vector<std::string> argv{c.binary.string()};
    auto add = [&](std::initializer_list<std::string> items) { argv.insert(argv.end(), items); };

    // ACPI on microvm: power-off and the power button that a stop presses.
    const auto& pmem = c.persistent_memory;
    bool kvm = c.accelerator == Accelerator::kvm;
    if (virt) {
        // GICv3 takes more than 8 CPUs; under KVM the host's own GIC is the one to model.
        add({"-machine", kvm ? "virt,gic-version=host" : "virt,gic-version=3"});
        add({"-accel", kvm ? "kvm" : "tcg"});
        // Emulated: Neoverse N1 (Graviton 2, Ampere Altra), an ARMv8.2 server core. Not
        // "max": its pointer authentication is emulated with a slow cipher in every call.
        add({"-cpu", kvm ? "host" : "neoverse-n1"});
    } else {
        add({"-machine", microvm ? "microvm,acpi=on" : "q35"});
        add({"-accel", kvm ? "kvm" : "tcg"});
        // Under TCG, `rep movsb`/`rep stosb` are emulated a byte at a time; without the ERMS
        // and FSRM flags the guest's kernel and C library copy with 8-byte loops instead
        // (Node.js 90 ms and Go 60 ms sooner to answer, median of 12).
        add({"-cpu", kvm ? "host" : "max,-erms,-fsrm"});
    }
    // Persistent memory sits in the machine's memory-device area, which `maxmem` sizes
    // beyond the guest's own RAM; the guest's memory stays what -m says.
    if (pmem)
        add({"-m", std::to_string(c.memory_mib) + "M,slots=1,maxmem=" +
                       std::to_string(c.memory_mib + (pmem->size_bytes >> 20)) + "M"});
    else
        add({"-m", std::to_string(c.memory_mib) + "M"});
    add({"-smp", std::to_string(c.cpus)});
    add({"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"});
    if (!c.kernel.empty())
        add({"-kernel", c.kernel.string(), "-append", c.kernel_args});

    if (c.uefi)
        add({"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + escape_option_value(c.uefi->code.string()),
             "-drive", "if=pflash,format=raw,unit=1,file=" + escape_option_value(c.uefi->variables.string())});

    for (std::size_t i = 0; i < c.drives.size(); i++) {
        const auto& d = c.drives[i];
        auto id = "disk" + std::to_string(i);
        auto boot = c.kernel.empty() && i == 0 ? std::string(",bootindex=0") : std::string();
        // cache=writeback, said rather than left to QEMU's default: the guest sees a
        // volatile write cache and its flushes (fsync) become fdatasync on the host file, so
        // what a program synced survives QEMU being killed and the host losing power.
        add({"-drive", "id=" + id + ",file=" + escape_option_value(d.file.string()) + ",format=" + d.format +
                           ",if=none" + (d.read_only ? ",readonly=on" : d.snapshot ? "" : ",cache=writeback") +
                           (d.snapshot ? ",snapshot=on" : "")});
        auto serial = d.serial.empty() ? std::string() : ",serial=" + d.serial;
        switch (d.bus) {
        case DiskBus::virtio:
            add({"-device", device("virtio-blk") + ",drive=" + id + serial + boot});
            break;
        case DiskBus::scsi:
            add({"-device", device("virtio-scsi") + ",id=scsi" + std::to_string(i),
                 "-device", "scsi-hd,bus=scsi" + std::to_string(i) + ".0,drive=" + id + boot});
            break;
        case DiskBus::nvme:
            add({"-device", "nvme,serial=uk" + std::to_string(i) + ",drive=" + id + boot});
            break;
        }
    }

    // share=off and readonly=on: a private, read-only mapping of the file; the guest can
    // neither change it nor see a change that another process makes.
    if (pmem)
        add({"-object", "memory-backend-file,id=pmem0,mem-path=" + escape_option_value(pmem->file.string()) +
                            ",size=" + std::to_string(pmem->size_bytes) + ",share=off,readonly=on",
             "-device", "virtio-pmem-pci,memdev=pmem0"});

    // Host folders over 9P. security_model=none: QEMU, running as the user, creates files
    // as that user and applies no ownership of the guest's (passthrough would need root,
    // mapped-xattr hides the guest's view in extended attributes the host's tools do not
    // show); QEMU resolves every path below the folder itself, never following a symlink
    // out of it. multidevs=remap keeps inode numbers unique across host file systems.
    for (std::size_t i = 0; i < c.shared_folders.size(); i++) {
        const auto& f = c.shared_folders[i];
        auto id = "share" + std::to_string(i);
        add({"-fsdev", "local,id=" + id + ",path=" + escape_option_value(f.folder.string()) +
                           ",security_model=none,multidevs=remap" + (f.read_only ? ",readonly=on" : ""),
             "-device", device("virtio-9p") + ",fsdev=" + id + ",mount_tag=" + f.tag});
    }

    std::string netdev;
    if (const auto* user = std::get_if<UserNetwork>(&c.network)) {
        netdev = "user,id=net0";
        for (const auto& f : user->ports)
            netdev += ",hostfwd=" + forward_rule(f);
    } else if (const auto* tap = std::get_if<TapNetwork>(&c.network)) {
        // script=no: the tap is configured already; uk never runs QEMU's ifup scripts.
        netdev = "tap,id=net0,ifname=" + escape_option_value(tap->device) + ",script=no,downscript=no";
    } else if (const auto* bridge = std::get_if<BridgeNetwork>(&c.network)) {
        netdev = "bridge,id=net0,br=" + escape_option_value(bridge->bridge) +
                 ",helper=" + escape_option_value(bridge->helper.string());
    }
    if (!netdev.empty()) {
        add({"-netdev", netdev});
        add({"-device", device("virtio-net") + ",netdev=net0" + (mmio ? "" : ",romfile=")});
    }
    // Entropy at boot: without it Node.js waits about 2 s for the kernel's random pool.
    add({"-device", device("virtio-rng")});

    // The console goes to QEMU's stdout, which uk reads; signal=off so that QEMU never
    // treats its input as a terminal's.
    add({"-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console"});
    if (!c.qmp_socket.empty())
        add({"-chardev", "socket,id=qmp,path=" + escape_option_value(c.qmp_socket.string()) + ",server=on,wait=off",
             "-mon", "chardev=qmp,mode=control"});
    // uk-init's stats agent reads the second serial port (COM2, ttyS1); QEMU listens on the
    // socket for `uk instance stats`, one asker at a time. A serial port rather than a
    // virtio console, which would take 1 MB of the guest's memory in receive buffers.
    if (!c.agent_socket.empty() && !virt) // virt has one UART (hypervisor/qemu_backend.cpp)
        add({"-chardev", "socket,id=agent,path=" + escape_option_value(c.agent_socket.string()) + ",server=on,wait=off",
             "-device", "isa-serial,chardev=agent,index=1"});
    if (c.watch_fd)
        for (auto& arg : qemu_watch_args(*c.watch_fd))
            argv.push_back(std::move(arg));
    // On loopback only: the stub reads and writes the guest's memory for whoever connects.
    if (c.debugger) {
        add({"-gdb", "tcp:127.0.0.1:" + std::to_string(c.debugger->port)});
        if (c.debugger->wait)
            add({"-S"});
    }
    return argv;
}

std::vector<std::string> qemu_watch_args(int fd)
{
    return {"-chardev", "socket,id=watch,fd=" + std::to_string(fd), "-mon", "chardev=watch,mode=control"};
}

} // namespace uk::hypervisor
