#include "vm/kvm.hpp"

#include "core/files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace uk::vm {
namespace {

// The CPU flags that say it offers hardware virtualisation, and whether it runs in a VM.
struct CpuFlags {
    bool read = false;
    bool vmx = false;
    bool svm = false;
    bool hypervisor = false;
};

CpuFlags cpu_flags(const std::filesystem::path& cpuinfo)
{
    CpuFlags flags;
    auto text = read_file(cpuinfo);
    if (!text)
        return flags;
    auto start = text->find("\nflags");
    if (start == std::string::npos)
        return flags;
    auto end = text->find('\n', start + 1);
    std::string line = " " + text->substr(start + 1, end - start - 1) + " ";
    flags.read = true;
    flags.vmx = line.find(" vmx ") != std::string::npos;
    flags.svm = line.find(" svm ") != std::string::npos;
    flags.hypervisor = line.find(" hypervisor ") != std::string::npos;
    return flags;
}

} // namespace

KvmAccess check_kvm(const std::filesystem::path& kvm_device, const std::filesystem::path& cpuinfo, Arch host)
{
    int fd = ::open(kvm_device.c_str(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return {true, {}, {}};
    }
    int error = errno;
    auto device = kvm_device.string();
    if (error == EACCES || error == EPERM)
        return {false, fmt::format("you may not open {} (permission denied)", device),
                "add yourself to its group (sudo usermod -aG kvm $USER), then log in again"};
    if (error != ENOENT)
        return {false, fmt::format("cannot open {}: {}", device, std::strerror(error)),
                fmt::format("check that {} is KVM's device (character device 10:232)", device)};
    if (host == Arch::arm64)
        return {false,
                fmt::format("{} does not exist: this arm64 kernel offers no KVM (it was not started at EL2, as in "
                            "most cloud VMs, or its kvm module is not loaded)",
                            device),
                "run uk on a bare-metal arm64 machine (e.g. an AWS .metal instance) or a VM with nested "
                "virtualisation, or sudo modprobe kvm"};
    auto flags = cpu_flags(cpuinfo);
    if (!flags.read)
        return {false, fmt::format("{} does not exist: no hardware virtualisation, or the kvm module is not loaded", device),
                "turn on VT-x/AMD-V in the firmware settings, then sudo modprobe kvm_intel (or kvm_amd)"};
    if (flags.vmx || flags.svm)
        return {false, fmt::format("{} does not exist, although the CPU has {}: the kvm module is not loaded", device,
                                   flags.vmx ? "VT-x" : "AMD-V"),
                fmt::format("sudo modprobe {}", flags.vmx ? "kvm_intel" : "kvm_amd")};
    if (flags.hypervisor)
        return {false,
                fmt::format("{} does not exist: this machine is itself a VM, and its CPU offers no hardware "
                            "virtualisation (no vmx or svm flag)",
                            device),
                "turn on nested virtualisation for this VM where it is hosted, or run uk on a machine with KVM"};
    return {false,
            fmt::format("{} does not exist: the CPU offers no hardware virtualisation (no vmx or svm flag)", device),
            "turn on VT-x/AMD-V (SVM) in the firmware settings"};
}

std::string kvm_probe_fix(const std::filesystem::path& sys_module)
{
    std::error_code ec;
    if (std::filesystem::exists(sys_module / "kvm_pvm", ec))
        return "this host offers KVM only to PVM guests (its KVM module is kvm_pvm), and uk's kernel is not one: run uk "
               "on a host with hardware virtualisation (VT-x/AMD-V) for KVM speed; until then uk uses TCG";
    return "turn on nested virtualisation where this machine is hosted, or try another QEMU or CPU; until then uk "
           "uses TCG";
}

std::string kvm_probe_key(const std::string& hypervisor, const std::string& kernel_sha256, bool firmware_machine,
                          const std::filesystem::path& kvm_device, const std::filesystem::path& boot_id)
{
    auto boot = read_file(boot_id).value_or("");
    while (!boot.empty() && boot.back() == '\n')
        boot.pop_back();
    struct stat kvm{};
    (void)::stat(kvm_device.c_str(), &kvm);
    return fmt::format("boot={} hypervisor={} kernel={} kvm={}:{}:{} machine={}", boot, hypervisor, kernel_sha256,
                       kvm.st_rdev, kvm.st_dev, kvm.st_ino, firmware_machine ? "firmware" : "direct");
}

std::optional<KvmProbe> cached_kvm_probe(const std::filesystem::path& cache_file, const std::string& key)
{
    auto text = read_file(cache_file);
    if (!text)
        return std::nullopt;
    auto json = nlohmann::json::parse(*text, nullptr, false);
    if (!json.is_object() || !json.contains(key) || !json[key].is_object())
        return std::nullopt;
    const auto& entry = json[key];
    if (!entry.contains("boots") || !entry["boots"].is_boolean())
        return std::nullopt;
    return KvmProbe{entry["boots"].get<bool>(), entry.value("reason", std::string()),
                    std::chrono::milliseconds(entry.value("took_ms", 0)), true};
}

void keep_kvm_probe(const std::filesystem::path& cache_file, const std::string& key, const KvmProbe& probe)
{
    // One entry per machine type; an entry from an earlier boot of the host is dropped.
    auto json = nlohmann::json::parse(read_file(cache_file).value_or("{}"), nullptr, false);
    if (!json.is_object())
        json = nlohmann::json::object();
    auto this_boot = key.substr(0, key.find(' '));
    for (auto it = json.begin(); it != json.end();)
        it = it.key().starts_with(this_boot + " ") ? std::next(it) : json.erase(it);
    json[key] = {{"boots", probe.boots}, {"reason", probe.reason}, {"took_ms", probe.took.count()}};
    (void)create_private_directories(cache_file.parent_path());
    (void)write_file_atomically(cache_file, as_bytes(json.dump(2) + "\n"));
}

} // namespace uk::vm
