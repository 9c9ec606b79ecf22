#include "hypervisor/host.hpp"

#include "core/files.hpp"
#include "core/process.hpp"

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <regex>
#include <unistd.h>

namespace uk::hypervisor {

std::optional<QemuBinary> parse_qemu_version(const std::string& output)
{
    static const std::regex pattern(R"(QEMU emulator version (([0-9]+)\.([0-9]+)(\.[0-9]+)?))");
    std::smatch match;
    if (!std::regex_search(output, match, pattern))
        return std::nullopt;
    return QemuBinary{{}, std::stoi(match[2]), std::stoi(match[3]), match[1]};
}

namespace {

std::optional<std::string> cached_version(const std::filesystem::path& file, const std::string& key)
{
    auto text = read_file(file);
    if (!text)
        return std::nullopt;
    auto json = nlohmann::json::parse(*text, nullptr, false);
    if (json.is_discarded() || json.value("binary", "") != key || !json.contains("version_line"))
        return std::nullopt;
    return json["version_line"].get<std::string>();
}

Result<std::string> ask_version(const std::filesystem::path& path)
{
    auto process = Process::spawn({.argv = {path.string(), "--version"},
                                   .stdin_stream = DevNull{},
                                   .stdout_stream = Pipe{},
                                   .stderr_stream = DevNull{}});
    if (!process)
        return fail(process.error());
    std::string text;
    char buffer[512];
    ssize_t n;
    while ((n = ::read(process->stdout_fd(), buffer, sizeof buffer)) > 0)
        text.append(buffer, static_cast<std::size_t>(n));
    process->wait();
    return text.substr(0, text.find('\n'));
}

} // namespace

Result<QemuBinary> find_qemu(const std::optional<std::string>& override_path, const std::filesystem::path& cache)
{
    auto name = override_path.value_or("qemu-system-x86_64");
    auto path = find_in_path(name);
    if (!path) {
        if (override_path)
            return fail(ErrorKind::unavailable, "UK_QEMU is set to {}, which is not an executable file", name);
        return fail(ErrorKind::unavailable,
                    "qemu-system-x86_64 was not found in PATH: install QEMU (Debian/Ubuntu: apt-get install "
                    "qemu-system-x86) or point UK_QEMU at it");
    }
    auto key = file_identity(*path);
    auto cache_file = cache / "qemu-version.json";
    auto line = cached_version(cache_file, key);
    if (!line) {
        auto asked = ask_version(*path);
        if (!asked)
            return fail(asked.error());
        line = *asked;
        // A cache that cannot be written only costs the next run the same 0.1 s.
        std::error_code ec;
        std::filesystem::create_directories(cache, ec);
        (void)write_file_atomically(cache_file, as_bytes(nlohmann::json{{"binary", key}, {"version_line", *line}}.dump()));
    }
    auto binary = parse_qemu_version(*line);
    if (!binary)
        return fail(ErrorKind::unavailable, "{} did not say which QEMU version it is; is it really QEMU?", path->string());
    binary->path = *path;
    if (binary->major < minimum_qemu_major || (binary->major == minimum_qemu_major && binary->minor < minimum_qemu_minor))
        return fail(ErrorKind::unavailable, "QEMU {} at {} is too old: uk needs {}.{} or newer (tested with 7.2)",
                    binary->version, path->string(), minimum_qemu_major, minimum_qemu_minor);
    return *binary;
}

Result<AcceleratorChoice> parse_accelerator(const std::string& name)
{
    if (name == "auto")
        return AcceleratorChoice::automatic;
    if (name == "kvm")
        return AcceleratorChoice::kvm;
    if (name == "tcg")
        return AcceleratorChoice::tcg;
    return fail(ErrorKind::usage, "unknown accelerator \"{}\": use auto, kvm or tcg", name);
}

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

KvmAccess check_kvm(const std::filesystem::path& kvm_device, const std::filesystem::path& cpuinfo)
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

Result<AcceleratorDecision> choose_accelerator(AcceleratorChoice choice, const KvmProber& probe,
                                               const std::filesystem::path& kvm_device,
                                               const std::filesystem::path& cpuinfo)
{
    if (choice == AcceleratorChoice::tcg)
        return AcceleratorDecision{Accelerator::tcg, {}, std::nullopt};
    auto kvm = check_kvm(kvm_device, cpuinfo);
    if (!kvm.usable) {
        if (choice == AcceleratorChoice::kvm)
            return fail(ErrorKind::unavailable, "--accel kvm: {}; to fix: {}", kvm.reason, kvm.fix);
        return AcceleratorDecision{Accelerator::tcg,
                                   fmt::format("no KVM ({}): running under TCG emulation, 10-50x slower; 'uk doctor' "
                                               "says how to fix it",
                                               kvm.reason),
                                   std::nullopt};
    }
    auto probed = probe();
    if (probed.boots)
        return AcceleratorDecision{Accelerator::kvm, {}, probed};
    if (choice == AcceleratorChoice::kvm)
        return fail(ErrorKind::unavailable,
                    "--accel kvm: KVM on this host cannot run uk's guest: {}; use --accel tcg or auto, and see 'uk "
                    "doctor'",
                    probed.reason);
    return AcceleratorDecision{Accelerator::tcg,
                               fmt::format("KVM on this host cannot run uk's guest: {}; using TCG emulation, 10-50x "
                                           "slower ('uk doctor' says more)",
                                           probed.reason),
                               probed};
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

Result<UefiFirmware> find_uefi_firmware(const std::filesystem::path& folder)
{
    // The 4 MiB build first, as QEMU's own firmware descriptors prefer.
    for (const auto& [code, vars] :
         {std::pair{"OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"}, std::pair{"OVMF_CODE.fd", "OVMF_VARS.fd"}}) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(folder / code, ec) && std::filesystem::is_regular_file(folder / vars, ec))
            return UefiFirmware{folder / code, folder / vars};
    }
    return fail(ErrorKind::unavailable, "OVMF, QEMU's UEFI firmware, is not in {}: apt-get install ovmf",
                folder.string());
}

std::optional<std::filesystem::path> find_seabios()
{
    for (const char* candidate : {"/usr/share/seabios/bios-256k.bin", "/usr/share/qemu/bios-256k.bin"}) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate, ec))
            return std::filesystem::path(candidate);
    }
    return std::nullopt;
}

} // namespace uk::hypervisor
