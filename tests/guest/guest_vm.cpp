#include "guest/guest_vm.hpp"

#include "core/files.hpp"
#include "guest/embedded.hpp"
#include "guest/vmlinux.hpp"
#include "vm/tsc.hpp"

#include <fstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace uk::test {
namespace {

void write_bytes(const std::filesystem::path& path, std::span<const std::byte> bytes, std::filesystem::perms mode)
{
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.close();
    std::filesystem::permissions(path, mode);
}

std::filesystem::path write_kernel(const std::filesystem::path& folder)
{
    auto vmlinux = uk::guest::extract_vmlinux(uk::guest::kernel_image());
    if (!vmlinux)
        throw std::runtime_error(vmlinux.error().message);
    auto path = folder / "vmlinux";
    write_bytes(path, *vmlinux, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
}

} // namespace

GuestRoot::GuestRoot(const TempDir& dir) : folder_(dir / "root"), image_(dir / "root.squashfs")
{
    for (const char* d : {"proc", "sys", "dev", "tmp", "run", "etc/uk", "sbin"})
        std::filesystem::create_directories(folder_ / d);
    std::filesystem::create_symlink("/run/resolv.conf", folder_ / "etc/resolv.conf");
    write_bytes(folder_ / "sbin/uk-init", uk::guest::init_program(), std::filesystem::perms(0755));
}

void GuestRoot::add_file(const std::string& guest_path, const std::filesystem::path& host_file)
{
    auto target = folder_ / std::filesystem::path(guest_path).relative_path();
    std::filesystem::create_directories(target.parent_path());
    std::filesystem::copy_file(host_file, target, std::filesystem::copy_options::overwrite_existing);
}

void GuestRoot::set_manifest_text(const std::string& text)
{
    std::ofstream(folder_ / "etc/uk/manifest.json") << text;
}

std::filesystem::path GuestRoot::pack() const
{
    auto mksquashfs = uk::Process::spawn({
        .argv = {UK_TEST_MKSQUASHFS, folder_.string(), image_.string(), "-comp", "zstd", "-all-root", "-noappend",
                 "-quiet", "-no-progress"},
        .stdout_stream = uk::DevNull{},
    });
    if (!mksquashfs || mksquashfs->wait() != 0)
        throw std::runtime_error("mksquashfs failed");
    return image_;
}

GuestVm::GuestVm(const TempDir& dir, const std::filesystem::path& root_image, const GuestOptions& options)
    : console_log_(dir / "console.log"), monitor_socket_(dir / "monitor.sock")
{
    std::string kernel_args = "console=ttyS0 root=/dev/vda rootfstype=squashfs ro init=/sbin/uk-init panic=-1 "
                              "quiet pci=off tsc=reliable noreplace-smp ";
    kernel_args += options.kernel_ip_config ? "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off:10.0.2.3"
                                            : "ip=off uk.ip=10.0.2.15/24 uk.gw=10.0.2.2 uk.dns=10.0.2.3";
    if (auto khz = uk::vm::emulated_tsc_khz())
        kernel_args += " tsc_early_khz=" + std::to_string(*khz);
    // QEMU's emulated local APIC timer counts at 1 GHz (see patches/ in kernel-prebuilt).
    kernel_args += " lapic_timer_period=" + std::to_string(1'000'000'000u / uk::guest::kernel_record().hz);
    if (!options.extra_kernel_args.empty())
        kernel_args += " " + options.extra_kernel_args;
    std::string netdev = "user,id=net0";
    for (auto [host, guest] : options.tcp_forwards)
        netdev += ",hostfwd=tcp:127.0.0.1:" + std::to_string(host) + "-:" + std::to_string(guest);

    auto qemu = uk::Process::spawn({
        .argv = {UK_TEST_QEMU, "-M", "microvm,acpi=on", "-cpu", "max", "-m", options.memory, "-nodefaults",
                 "-no-user-config", "-display", "none", "-no-reboot", "-kernel", write_kernel(dir.path()).string(),
                 "-append", kernel_args, "-serial", "file:" + console_log_.string(), "-monitor",
                 "unix:" + monitor_socket_.string() + ",server=on,wait=off", "-drive",
                 "id=root,file=" + root_image.string() + ",format=raw,if=none,readonly=on", "-device",
                 "virtio-blk-device,drive=root", "-netdev", netdev, "-device", "virtio-net-device,netdev=net0",
                 "-device", "virtio-rng-device"},
        .stdin_stream = uk::DevNull{},
        .stdout_stream = dir / "qemu.log",
        .merge_stderr_into_stdout = true,
    });
    if (!qemu)
        throw std::runtime_error(qemu.error().message);
    qemu_.emplace(std::move(*qemu));
}

std::optional<int> GuestVm::wait_for_exit(std::chrono::seconds timeout) { return qemu_->wait_for(timeout); }

bool GuestVm::wait_for_console(const std::string& text, std::chrono::seconds timeout)
{
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (console().find(text) != std::string::npos)
            return true;
        if (!qemu_->running())
            return console().find(text) != std::string::npos;
        qemu_->poll();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::string GuestVm::console() const
{
    auto text = uk::read_file(console_log_);
    if (!text)
        return {};
    // The serial line ends lines with \r\n (the tty's ONLCR).
    std::erase(*text, '\r');
    return *text;
}

void GuestVm::monitor(const std::string& command)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", monitor_socket_.c_str());
    if (s < 0 || connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
        if (s >= 0)
            close(s);
        throw std::runtime_error("cannot reach the QEMU monitor");
    }
    std::string line = command + "\n";
    (void)!write(s, line.data(), line.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(200)); // let QEMU read it before we hang up
    close(s);
}

} // namespace uk::test
