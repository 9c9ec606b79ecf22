#include "core/process.hpp"
#include "hypervisor/qemu_backend.hpp"
#include "hypervisor/qemu_command.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace uk::hypervisor;
using uk::settings::Protocol;

namespace {

QemuConfig microvm_config()
{
    QemuConfig config;
    config.binary = "/usr/bin/qemu-system-x86_64";
    config.machine = Machine::microvm;
    config.accelerator = Accelerator::tcg;
    config.memory_mib = 64;
    config.cpus = 2;
    config.kernel = "/cache/vmlinux";
    config.kernel_args = "console=ttyS0 quiet";
    config.drives = {{.file = "/images/server.img", .read_only = true}};
    config.network = UserNetwork{{{Protocol::tcp, "127.0.0.1", 18080, 8080}, {Protocol::udp, "0.0.0.0", 5353, 53}}};
    config.qmp_socket = "/state/server/qmp.sock";
    config.watch_fd = 7;
    return config;
}

} // namespace

TEST_CASE("qemu: the microvm command line, argument by argument", "[unit][hypervisor]")
{
    std::vector<std::string> expected{
        "/usr/bin/qemu-system-x86_64",
        "-machine", "microvm,acpi=on",
        "-accel", "tcg",
        "-cpu", "max,-erms,-fsrm",
        "-m", "64M",
        "-smp", "2",
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-kernel", "/cache/vmlinux",
        "-append", "console=ttyS0 quiet",
        "-drive", "id=disk0,file=/images/server.img,format=raw,if=none,readonly=on",
        "-device", "virtio-blk-device,drive=disk0",
        "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:18080-:8080,hostfwd=udp:0.0.0.0:5353-:53",
        "-device", "virtio-net-device,netdev=net0",
        "-device", "virtio-rng-device",
        "-chardev", "stdio,id=console,signal=off",
        "-serial", "chardev:console",
        "-chardev", "socket,id=qmp,path=/state/server/qmp.sock,server=on,wait=off",
        "-mon", "chardev=qmp,mode=control",
        "-chardev", "socket,id=watch,fd=7",
        "-mon", "chardev=watch,mode=control",
    };
    CHECK(qemu_argv(microvm_config()) == expected);
}

TEST_CASE("qemu: q35 uses PCI devices, no iPXE ROM, and KVM with the host CPU", "[unit][hypervisor]")
{
    auto config = microvm_config();
    config.machine = Machine::q35;
    config.accelerator = Accelerator::kvm;
    config.network = UserNetwork{};
    auto argv = qemu_argv(config);
    auto after = [&](const std::string& flag, std::size_t nth = 0) {
        for (std::size_t i = 0; i + 1 < argv.size(); i++)
            if (argv[i] == flag && nth-- == 0)
                return argv[i + 1];
        return std::string("<missing>");
    };
    CHECK(after("-machine") == "q35");
    CHECK(after("-accel") == "kvm");
    CHECK(after("-cpu") == "host");
    CHECK(after("-device", 0) == "virtio-blk-pci,drive=disk0");
    CHECK(after("-netdev") == "user,id=net0");
    CHECK(after("-device", 1) == "virtio-net-pci,netdev=net0,romfile=");
    CHECK(after("-device", 2) == "virtio-rng-pci");
}

TEST_CASE("qemu: paths with spaces stay one argument and commas are doubled inside options", "[unit][hypervisor]")
{
    auto config = microvm_config();
    config.kernel = "/home/a user/cache,1/vmlinux";
    config.drives = {{.file = "/home/a user/my images/web,v2.img", .read_only = false}};
    config.qmp_socket = "/run/uk, state/qmp.sock";
    config.network = NoNetwork{};
    auto argv = qemu_argv(config);
    // -kernel takes a plain path: no escaping.
    CHECK(std::find(argv.begin(), argv.end(), "/home/a user/cache,1/vmlinux") != argv.end());
    CHECK(std::find(argv.begin(), argv.end(), "id=disk0,file=/home/a user/my images/web,,v2.img,format=raw,if=none,cache=writeback") !=
          argv.end());
    CHECK(std::find(argv.begin(), argv.end(), "socket,id=qmp,path=/run/uk,, state/qmp.sock,server=on,wait=off") !=
          argv.end());
    CHECK(std::find(argv.begin(), argv.end(), "-netdev") == argv.end());
}

TEST_CASE("qemu: --dry-run's line reads back into the same argv", "[unit][hypervisor]")
{
    CHECK(uk::shell_quote({"qemu", "-append", "console=ttyS0 quiet", "it's", "a,b", ""}) ==
          "qemu -append 'console=ttyS0 quiet' 'it'\\''s' a,b ''");
    CHECK(escape_option_value("a,b,,c") == "a,,b,,,,c");
}

TEST_CASE("qemu: a tap, a bridge, or no network at all", "[unit][hypervisor]")
{
    auto joined = [](const QemuConfig& config) {
        std::string line;
        for (const auto& arg : qemu_argv(config))
            line += arg + "\n";
        return line;
    };
    auto config = microvm_config();
    config.network = TapNetwork{"uktap0"};
    CHECK(joined(config).find("-netdev\ntap,id=net0,ifname=uktap0,script=no,downscript=no\n-device\nvirtio-net-device,"
                              "netdev=net0\n") != std::string::npos);
    config.network = BridgeNetwork{"br0", "/usr/lib/qemu/qemu-bridge-helper"};
    CHECK(joined(config).find("-netdev\nbridge,id=net0,br=br0,helper=/usr/lib/qemu/qemu-bridge-helper\n") !=
          std::string::npos);
    config.network = NoNetwork{};
    CHECK(joined(config).find("-netdev") == std::string::npos);
    CHECK(joined(config).find("virtio-net") == std::string::npos);
}

TEST_CASE("qemu: firmware boot on q35, the disk on virtio-scsi or NVMe, UEFI in flash", "[unit][hypervisor]")
{
    QemuConfig config;
    config.binary = "qemu-system-x86_64";
    config.machine = Machine::q35;
    config.drives = {{.file = "/images/web.qcow2", .read_only = true, .format = "qcow2", .bus = DiskBus::scsi}};
    config.uefi = UefiFirmware{"/usr/share/OVMF/OVMF_CODE_4M.fd", "/state/web/uefi-vars.fd"};
    std::string line;
    for (const auto& arg : qemu_argv(config))
        line += arg + "\n";
    CHECK(line.find("-kernel") == std::string::npos);
    CHECK(line.find("-drive\nif=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd\n-drive\n"
                    "if=pflash,format=raw,unit=1,file=/state/web/uefi-vars.fd\n") != std::string::npos);
    CHECK(line.find("-drive\nid=disk0,file=/images/web.qcow2,format=qcow2,if=none,readonly=on\n-device\nvirtio-scsi-pci,"
                    "id=scsi0\n-device\nscsi-hd,bus=scsi0.0,drive=disk0,bootindex=0\n") != std::string::npos);
    config.drives[0].bus = DiskBus::nvme;
    config.drives[0].read_only = false;
    config.drives[0].snapshot = true;
    line.clear();
    for (const auto& arg : qemu_argv(config))
        line += arg + "\n";
    CHECK(line.find("format=qcow2,if=none,snapshot=on\n-device\nnvme,serial=uk0,drive=disk0,bootindex=0\n") !=
          std::string::npos);
}

TEST_CASE("qemu: a volume is a writable virtio disk with a serial, flushes kept real", "[unit][hypervisor]")
{
    auto config = microvm_config();
    config.drives.push_back({.file = "/uk/volumes/data/data.ext4", .serial = "uk-vol0"});
    config.drives.push_back({.file = "/uk/volumes/logs/data.ext4", .read_only = true, .serial = "uk-vol1"});
    auto argv = qemu_argv(config);
    auto at = [&](const std::string& item) { return std::find(argv.begin(), argv.end(), item) != argv.end(); };
    CHECK(at("id=disk1,file=/uk/volumes/data/data.ext4,format=raw,if=none,cache=writeback"));
    CHECK(at("virtio-blk-device,drive=disk1,serial=uk-vol0"));
    CHECK(at("id=disk2,file=/uk/volumes/logs/data.ext4,format=raw,if=none,readonly=on"));
    CHECK(at("virtio-blk-device,drive=disk2,serial=uk-vol1"));
}

TEST_CASE("qemu: a host folder is a 9P share with a tag, as the user, read-only when asked", "[unit][hypervisor]")
{
    auto config = microvm_config();
    config.shared_folders = {{.folder = "/home/me/site,v2", .tag = "uk-share0", .read_only = true},
                             {.folder = "/tmp/out", .tag = "uk-share1"}};
    auto argv = qemu_argv(config);
    auto at = [&](const std::string& item) { return std::find(argv.begin(), argv.end(), item) != argv.end(); };
    CHECK(at("local,id=share0,path=/home/me/site,,v2,security_model=none,multidevs=remap,readonly=on"));
    CHECK(at("virtio-9p-device,fsdev=share0,mount_tag=uk-share0"));
    CHECK(at("local,id=share1,path=/tmp/out,security_model=none,multidevs=remap"));
    CHECK(at("virtio-9p-device,fsdev=share1,mount_tag=uk-share1"));
    config.machine = Machine::q35;
    argv = qemu_argv(config);
    CHECK(at("virtio-9p-pci,fsdev=share0,mount_tag=uk-share0"));
}

TEST_CASE("qemu: --gdb opens the stub on loopback only, and --gdb-wait starts the CPUs halted", "[unit][hypervisor]")
{
    auto config = microvm_config();
    config.debugger = uk::vm::Debugger{.port = 4321, .wait = false};
    auto argv = qemu_argv(config);
    std::vector<std::string> tail(argv.end() - 2, argv.end());
    CHECK(tail == std::vector<std::string>{"-gdb", "tcp:127.0.0.1:4321"});
    config.debugger->wait = true;
    argv = qemu_argv(config);
    CHECK(argv.back() == "-S");
    CHECK(std::count(argv.begin(), argv.end(), "-gdb") == 1);
}

TEST_CASE("qemu: the stats agent's line is a second serial port on a socket QEMU listens on", "[unit][hypervisor]")
{
    auto config = microvm_config();
    auto argv = qemu_argv(config);
    CHECK(std::find(argv.begin(), argv.end(), "isa-serial,chardev=agent,index=1") == argv.end());
    config.agent_socket = "/state/web/agent.sock";
    for (auto machine : {Machine::microvm, Machine::q35}) {
        config.machine = machine;
        argv = qemu_argv(config);
        auto agent = std::find(argv.begin(), argv.end(), "socket,id=agent,path=/state/web/agent.sock,server=on,wait=off");
        REQUIRE(agent != argv.end());
        CHECK(std::vector<std::string>(agent - 1, agent + 3) ==
              std::vector<std::string>{"-chardev", "socket,id=agent,path=/state/web/agent.sock,server=on,wait=off",
                                       "-device", "isa-serial,chardev=agent,index=1"});
    }
}

TEST_CASE("qemu: an EROFS image is persistent memory, read-only and private, beside the guest's own RAM", "[unit][hypervisor]")
{
    auto config = microvm_config();
    config.machine = Machine::q35;
    config.drives.clear();
    config.persistent_memory = uk::vm::PersistentMemory{.file = "/images/web,1.img", .size_bytes = 110ull << 20};
    auto argv = qemu_argv(config);
    auto after = [&](const std::string& flag) {
        auto found = std::find(argv.begin(), argv.end(), flag);
        return found == argv.end() || found + 1 == argv.end() ? std::string() : *(found + 1);
    };
    CHECK(after("-machine") == "q35");
    CHECK(after("-m") == "64M,slots=1,maxmem=174M");
    CHECK(after("-object") == "memory-backend-file,id=pmem0,mem-path=/images/web,,1.img,size=115343360,share=off,readonly=on");
    CHECK(std::find(argv.begin(), argv.end(), "virtio-pmem-pci,memdev=pmem0") != argv.end());
    CHECK(std::none_of(argv.begin(), argv.end(), [](const std::string& a) { return a.starts_with("virtio-blk"); }));
}

TEST_CASE("qemu: direct boot with persistent memory takes q35, which places memory devices", "[unit][hypervisor]")
{
    uk::vm::VmSpec spec;
    spec.boot = uk::vm::DirectBoot{"/cache/vmlinux", "console=ttyS0"};
    CHECK(qemu_config(spec, "qemu").machine == Machine::microvm);
    spec.persistent_memory = uk::vm::PersistentMemory{.file = "/images/web.img", .size_bytes = 4ull << 20};
    CHECK(qemu_config(spec, "qemu").machine == Machine::q35);
    CHECK(qemu_config(spec, "qemu").persistent_memory->file == "/images/web.img");
}

TEST_CASE("qemu: an arm64 guest runs on the virt machine with virtio-mmio devices and no agent port",
          "[unit][hypervisor]")
{
    uk::vm::VmSpec spec;
    spec.arch = uk::Arch::arm64;
    spec.boot = uk::vm::DirectBoot{"/cache/Image", "console=ttyAMA0"};
    spec.disks = {{.file = "/images/web.img", .read_only = true}};
    spec.agent_socket = "/state/web/agent.sock";
    auto config = qemu_config(spec, "/usr/bin/qemu-system-aarch64");
    CHECK(config.machine == Machine::virt);
    CHECK(config.agent_socket.empty());
    auto argv = qemu_argv(config);
    auto after = [&](const std::string& flag, std::size_t nth = 0) {
        for (std::size_t i = 0; i + 1 < argv.size(); i++)
            if (argv[i] == flag && nth-- == 0)
                return argv[i + 1];
        return std::string("<missing>");
    };
    CHECK(argv.front() == "/usr/bin/qemu-system-aarch64");
    CHECK(after("-machine") == "virt,gic-version=3");
    CHECK(after("-accel") == "tcg");
    CHECK(after("-cpu") == "neoverse-n1");
    CHECK(after("-kernel") == "/cache/Image");
    CHECK(after("-device", 0) == "virtio-blk-device,drive=disk0");
    CHECK(after("-device", 1) == "virtio-net-device,netdev=net0");
    CHECK(std::none_of(argv.begin(), argv.end(), [](const std::string& a) { return a.starts_with("isa-serial"); }));

    config.accelerator = Accelerator::kvm;
    argv = qemu_argv(config);
    CHECK(after("-machine") == "virt,gic-version=host");
    CHECK(after("-cpu") == "host");
}
