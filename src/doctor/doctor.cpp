#include "doctor/doctor.hpp"

#include "core/process.hpp"
#include "core/sha256.hpp"
#include "core/temporary_files.hpp"
#include "core/units.hpp"
#include "guest/embedded.hpp"
#include "hypervisor/host.hpp"
#include "image/firmware.hpp"
#include "instance/store.hpp"
#include "app/accelerator.hpp"
#include "hypervisor/qemu_backend.hpp"
#include "state/image_store.hpp"
#include "vm/kvm.hpp"
#include "volume/e2fsprogs.hpp"
#include "volume/store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace uk::doctor {
namespace {

namespace fs = std::filesystem;

Finding ok(std::string topic, std::string summary, nlohmann::json details = nlohmann::json::object())
{
    return {std::move(topic), Severity::ok, std::move(summary), {}, std::move(details)};
}

Finding flagged(Severity severity, std::string topic, std::string summary, std::string fix,
                nlohmann::json details = nlohmann::json::object())
{
    return {std::move(topic), severity, std::move(summary), std::move(fix), std::move(details)};
}

Finding examine_qemu(const Host& host, const fs::path& cache)
{
    auto qemu = hypervisor::find_qemu(host.environment("UK_QEMU"), cache);
    if (!qemu && host.arch != Arch::amd64)
        return flagged(Severity::warning, "qemu", "x86-64 programs cannot run: " + qemu.error().message,
                       "apt-get install qemu-system-x86, or set UK_QEMU to a qemu-system-x86_64 of version 6.2 or newer");
    if (!qemu)
        return flagged(Severity::error, "qemu", qemu.error().message,
                       "apt-get install qemu-system-x86, or set UK_QEMU to a qemu-system-x86_64 of version 6.2 or newer");
    return ok("qemu", fmt::format("QEMU {} at {}", qemu->version, qemu->path.string()),
              {{"path", qemu->path.string()}, {"version", qemu->version}});
}

Finding examine_accelerator(const Host& host, const fs::path& cache)
{
    auto kvm = vm::check_kvm(host.kvm_device, host.cpuinfo, host.arch);
    auto device = host.kvm_device.string();
    if (!kvm.usable)
        return flagged(Severity::warning, "accelerator",
                       fmt::format("TCG emulation, 10-50x slower than KVM: {}", kvm.reason), kvm.fix,
                       {{"accelerator", "tcg"}, {"kvm_device", device}, {"reason", kvm.reason}});
    auto qemu = hypervisor::find_qemu(host.environment("UK_QEMU"), cache);
    if (!qemu)
        return flagged(Severity::warning, "accelerator",
                       fmt::format("{} opens, but without QEMU uk cannot tell whether KVM runs its guest", device),
                       "install QEMU (see the qemu line)", {{"accelerator", "unknown"}, {"kvm_device", device}});
    hypervisor::QemuBackend backend(*qemu);
    auto probe = app::probe_kvm(backend, {.cache = cache, .kvm_device = host.kvm_device, .cpuinfo = host.cpuinfo});
    nlohmann::json details{{"kvm_device", device},
                           {"probe",
                            {{"boots", probe.boots},
                             {"reason", probe.reason},
                             {"took_ms", probe.took.count()},
                             {"cached", probe.cached}}}};
    if (probe.boots) {
        details["accelerator"] = "kvm";
        return ok("accelerator", fmt::format("KVM ({} opens and boots uk's guest: probe {} ms{})", device,
                                             probe.took.count(), probe.cached ? ", kept from an earlier run" : ""),
                  details);
    }
    details["accelerator"] = "tcg";
    details["reason"] = probe.reason;
    return flagged(Severity::warning, "accelerator",
                   fmt::format("TCG emulation, 10-50x slower than KVM: {} opens, but KVM on this host cannot run "
                               "uk's guest: {}",
                               device, probe.reason),
                   vm::kvm_probe_fix(host.sys_module), details);
}

Finding examine_kernel()
{
    auto record = guest::kernel_record();
    auto actual = sha256_hex(guest::kernel_image());
    nlohmann::json details{{"release", record.release},
                           {"source", fmt::format("{} {}", record.source_package, record.source_version)},
                           {"sha256", actual},
                           {"size_bytes", guest::kernel_image().size()},
                           {"init_size_bytes", guest::init_program().size()}};
    if (actual != record.sha256)
        return flagged(Severity::error, "kernel",
                       fmt::format("the embedded kernel's SHA-256 is {}, not the {} its record says: this uk "
                                   "executable is damaged",
                                   actual, record.sha256),
                       "reinstall uk", details);
    return ok("kernel",
              fmt::format("Linux {} ({} {}), {}, sha256 {}; uk-init {}", record.release, record.source_package,
                          record.source_version, human_bytes(guest::kernel_image().size()), actual,
                          human_bytes(guest::init_program().size())),
              details);
}

// arm64 guests: their QEMU, their kernel and their UEFI firmware. KVM runs them only on an
// arm64 host, where their QEMU is the one uk cannot do without; elsewhere they are emulated.
Finding examine_arm64(const Host& host, const fs::path& cache)
{
    auto qemu = hypervisor::find_qemu(host.environment("UK_QEMU_ARM64"), cache, Arch::arm64);
    auto aavmf = hypervisor::find_arm64_uefi_firmware(host.aavmf_folder);
    auto record = guest::kernel_record(Arch::arm64);
    nlohmann::json details{{"qemu", qemu ? qemu->path.string() : ""},
                           {"aavmf", aavmf ? aavmf->code.string() : ""},
                           {"kernel_release", record.release},
                           {"kernel_size_bytes", guest::kernel_image(Arch::arm64).size()},
                           {"init_size_bytes", guest::init_program(Arch::arm64).size()},
                           {"accelerator", host.arch == Arch::arm64 ? "kvm when it boots" : "tcg"}};
    if (!qemu)
        return flagged(host.arch == Arch::arm64 ? Severity::error : Severity::warning, "arm64",
                       "arm64 programs cannot run: " + qemu.error().message,
                       "apt-get install qemu-system-arm, or set UK_QEMU_ARM64", details);
    if (!aavmf)
        return flagged(Severity::warning, "arm64",
                       fmt::format("--boot firmware cannot start arm64 images: {}", aavmf.error().message),
                       "apt-get install qemu-efi-aarch64", details);
    return ok("arm64",
              fmt::format("QEMU {} at {}, AAVMF {}; Linux {} ({}), uk-init {}{}", qemu->version, qemu->path.string(),
                          aavmf->code.string(), record.release, human_bytes(guest::kernel_image(Arch::arm64).size()),
                          human_bytes(guest::init_program(Arch::arm64).size()),
                          host.arch == Arch::arm64 ? "" : "; emulated (TCG) on this x86-64 host"),
              details);
}

// The folder itself when it exists, else the nearest parent that does (what would hold it).
fs::path nearest_existing(fs::path folder)
{
    std::error_code ec;
    while (!folder.empty() && !fs::exists(folder, ec) && folder != folder.parent_path())
        folder = folder.parent_path();
    return folder.empty() ? fs::path("/") : folder;
}

Finding examine_folder(const std::string& topic, const fs::path& folder, const std::string& contents)
{
    std::error_code ec;
    bool exists = fs::exists(folder, ec);
    auto holder = nearest_existing(folder);
    nlohmann::json details{{"path", folder.string()}, {"exists", exists}};
    auto elsewhere = "or set UK_HOME to a folder you own";
    if (!fs::is_directory(holder, ec))
        return flagged(Severity::error, topic,
                       exists ? fmt::format("{} is not a folder", folder.string())
                              : fmt::format("{} cannot be made: {} is not a folder", folder.string(), holder.string()),
                       fmt::format("move {} away {}", holder.string(), elsewhere), details);
    if (::access(holder.c_str(), W_OK | X_OK) != 0)
        return flagged(Severity::error, topic,
                       exists ? fmt::format("{} is not writable by you", folder.string())
                              : fmt::format("{} cannot be made: {} is not writable by you", folder.string(),
                                            holder.string()),
                       fmt::format("give yourself write access to {} {}", holder.string(), elsewhere), details);
    return ok(topic, exists ? folder.string() + contents : fmt::format("{} (made when first needed)", folder.string()),
              details);
}

// Files that killed uk runs left under temporary names (core/temporary_files.hpp).
Finding examine_leftovers(const state::Paths& paths)
{
    std::vector<fs::path> left;
    for (const auto& folder : {paths.images, paths.cache, paths.volumes}) {
        auto found = stale_temporaries(folder);
        left.insert(left.end(), found.begin(), found.end());
    }
    nlohmann::json details{{"files", nlohmann::json::array()}};
    std::uint64_t bytes = 0;
    for (const auto& file : left) {
        details["files"].push_back(file.string());
        std::error_code ec;
        auto size = fs::file_size(file, ec);
        bytes += ec ? 0 : size;
    }
    if (left.empty())
        return ok("leftovers", "no files left behind by killed uk runs", details);
    return flagged(Severity::warning, "leftovers",
                   fmt::format("{} file{} ({}) left behind by uk runs that were killed, e.g. {}", left.size(),
                               left.size() == 1 ? "" : "s", human_bytes(bytes), left.front().string()),
                   "the next uk build or image create in that folder removes them, or remove them yourself", details);
}

// The volumes folder, how many volumes it holds and the room left for them (sparse files
// grow as the guests write), and the tools that make and check them.
Finding examine_volumes(const fs::path& folder)
{
    auto volumes = volume::Store(folder).list().value_or(std::vector<volume::Volume>{}).size();
    struct statvfs st{};
    auto holder = nearest_existing(folder);
    std::string room;
    std::uint64_t free_bytes = 0;
    if (::statvfs(holder.c_str(), &st) == 0) {
        free_bytes = std::uint64_t{st.f_bavail} * st.f_frsize;
        room = fmt::format(", {} free there", human_bytes(free_bytes));
    }
    auto finding =
        examine_folder("volumes", folder, fmt::format(" ({} volume{}{})", volumes, volumes == 1 ? "" : "s", room));
    finding.details["volumes"] = volumes;
    finding.details["free_bytes"] = free_bytes;
    if (finding.severity != Severity::ok) {
        finding.severity = Severity::warning; // VMs run without volumes
        return finding;
    }
    for (const char* tool : {"mke2fs", "e2fsck", "resize2fs"})
        if (auto found = volume::e2fsprogs_tool(tool); !found)
            return flagged(Severity::warning, "volumes", "uk volume and -v NAME:/path cannot work: " + found.error().message,
                           "apt-get install e2fsprogs", finding.details);
    return finding;
}

Finding examine_disk(const Host& host, const fs::path& images)
{
    auto holder = nearest_existing(images);
    struct statvfs st{};
    if (::statvfs(holder.c_str(), &st) != 0)
        return flagged(Severity::warning, "disk", fmt::format("cannot tell the free space at {}: {}", holder.string(),
                                                               std::strerror(errno)),
                       "check that the folder is mounted");
    auto free_bytes = std::uint64_t{st.f_bavail} * st.f_frsize;
    nlohmann::json details{{"path", holder.string()}, {"free_bytes", free_bytes}};
    auto summary = fmt::format("{} free at {}", human_bytes(free_bytes), holder.string());
    if (free_bytes < host.low_disk_bytes)
        return flagged(Severity::warning, "disk",
                       summary + fmt::format(" (under {}: a Node.js image alone takes about 60 MB)",
                                             human_bytes(host.low_disk_bytes)),
                       "free some space there, or set UK_HOME to a folder on another disk", details);
    return ok("disk", summary, details);
}

// Tap devices that exist now (they have tun_flags in sysfs).
std::vector<std::string> existing_taps(const fs::path& sys_class_net)
{
    std::vector<std::string> taps;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(sys_class_net, ec))
        if (fs::exists(entry.path() / "tun_flags", ec))
            taps.push_back(entry.path().filename().string());
    std::sort(taps.begin(), taps.end());
    return taps;
}

Finding examine_tap(const Host& host)
{
    int fd = ::open(host.tun_device.c_str(), O_RDWR | O_CLOEXEC);
    int error = errno;
    auto taps = existing_taps(host.sys_class_net);
    nlohmann::json details{{"tun_device", host.tun_device.string()}, {"taps", taps}};
    if (fd < 0) {
        details["usable"] = false;
        if (error == ENOENT)
            return flagged(Severity::warning, "tap",
                           fmt::format("--net tap cannot work: {} does not exist (no tun module)",
                                       host.tun_device.string()),
                           "sudo modprobe tun", details);
        return flagged(Severity::warning, "tap",
                       fmt::format("--net tap cannot work: cannot open {}: {}", host.tun_device.string(),
                                   std::strerror(error)),
                       fmt::format("sudo chmod 0666 {} (Debian's default mode)", host.tun_device.string()), details);
    }
    ::close(fd);
    details["usable"] = true;
    std::string names;
    for (const auto& tap : taps)
        names += (names.empty() ? "" : ", ") + tap;
    return ok("tap", fmt::format("{} opens: --net tap --tap NAME can use {}", host.tun_device.string(),
                                 taps.empty() ? "a tap you create (sudo ip tuntap add dev uktap0 mode tap user $USER)"
                                              : "these taps: " + names),
              details);
}

Finding examine_bridge(const Host& host)
{
    struct stat st{};
    nlohmann::json details{{"helper", host.bridge_helper.string()}, {"acl", host.bridge_acl.string()}};
    if (::stat(host.bridge_helper.c_str(), &st) != 0)
        return flagged(Severity::warning, "bridge",
                       fmt::format("--net bridge cannot work: {} is not installed", host.bridge_helper.string()),
                       "apt-get install qemu-system-common", details);
    bool setuid_root = (st.st_mode & S_ISUID) && st.st_uid == 0;
    details["setuid_root"] = setuid_root;
    if (!setuid_root && ::geteuid() != 0)
        return flagged(Severity::warning, "bridge",
                       fmt::format("--net bridge works only as root here: {} is not setuid root",
                                   host.bridge_helper.string()),
                       fmt::format("sudo chmod u+s {}", host.bridge_helper.string()), details);
    std::error_code ec;
    if (!fs::exists(host.bridge_acl, ec))
        return flagged(Severity::warning, "bridge",
                       fmt::format("--net bridge refuses every bridge: {} does not exist", host.bridge_acl.string()),
                       fmt::format("echo 'allow br0' | sudo tee -a {} (your bridge's name for br0)",
                                   host.bridge_acl.string()),
                       details);
    return ok("bridge", fmt::format("{} can attach VMs to the bridges {} allows", host.bridge_helper.string(),
                                    host.bridge_acl.string()),
              details);
}

Finding examine_firmware(const Host& host)
{
    auto seabios = hypervisor::find_seabios();
    auto ovmf = hypervisor::find_uefi_firmware(host.ovmf_folder);
    nlohmann::json details{{"seabios", seabios ? seabios->string() : ""}, {"ovmf", ovmf ? ovmf->code.string() : ""}};
    if (!seabios)
        return flagged(Severity::warning, "firmware",
                       "--boot firmware cannot work: SeaBIOS (bios-256k.bin) is not installed",
                       "apt-get install seabios", details);
    if (!ovmf)
        return flagged(Severity::warning, "firmware",
                       fmt::format("--boot firmware --uefi cannot work: {}", ovmf.error().message),
                       "apt-get install ovmf", details);
    return ok("firmware", fmt::format("SeaBIOS {}; OVMF {}", seabios->string(), ovmf->code.string()), details);
}

Finding examine_image_tools()
{
    auto qemu_img = find_in_path("qemu-img");
    auto tools = image::find_firmware_tools();
    nlohmann::json details{{"qemu_img", qemu_img ? qemu_img->string() : ""},
                           {"syslinux", tools ? tools->syslinux.string() : ""}};
    if (!qemu_img)
        return flagged(Severity::warning, "image-tools",
                       "uk image create cannot convert images: qemu-img is not installed", "apt-get install qemu-utils",
                       details);
    if (!tools)
        return flagged(Severity::warning, "image-tools", "uk image create cannot work: " + tools.error().message,
                       "apt-get install syslinux syslinux-common mtools", details);
    auto syslinux = tools->syslinux.empty() ? std::string("none (x86-64 images boot through UEFI only)")
                                            : tools->syslinux.string();
    return ok("image-tools",
              fmt::format("qemu-img {}, syslinux {}, mtools {}", qemu_img->string(), syslinux,
                          tools->mtools_copy.parent_path().string()),
              details);
}

} // namespace

bool Report::has_errors() const
{
    return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
}

Report examine(const Host& host)
{
    Report report;
    auto paths = state::resolve_paths(host.environment);
    if (!paths) {
        report.findings.push_back(flagged(Severity::error, "images", paths.error().message,
                                          "set UK_HOME (or HOME) to a folder you own"));
    }
    report.findings.push_back(examine_qemu(host, paths ? paths->cache : fs::path()));
    report.findings.push_back(examine_accelerator(host, paths ? paths->cache : fs::path()));
    report.findings.push_back(examine_kernel());
    report.findings.push_back(examine_arm64(host, paths ? paths->cache : fs::path()));
    if (paths) {
        auto images = state::ImageStore(paths->images).list().value_or(std::vector<state::ImageStore::Entry>{}).size();
        report.findings.push_back(
            examine_folder("images", paths->images, fmt::format(" ({} image{})", images, images == 1 ? "" : "s")));
        instance::Store store(paths->instances);
        auto records = store.list();
        auto running = std::count_if(records.begin(), records.end(), [&](const instance::Record& r) {
            return instance::is_live(instance::status_of(r, store.files(r.name)).state);
        });
        report.findings.push_back(examine_folder(
            "instances", paths->instances, fmt::format(" ({} instance{}, {} running)", records.size(), records.size() == 1 ? "" : "s", running)));
        report.findings.push_back(examine_folder("cache", paths->cache, ""));
        report.findings.push_back(examine_volumes(paths->volumes));
        report.findings.push_back(examine_disk(host, paths->images));
        report.findings.push_back(examine_leftovers(*paths));
    }
    report.findings.push_back(examine_tap(host));
    report.findings.push_back(examine_bridge(host));
    report.findings.push_back(examine_firmware(host));
    report.findings.push_back(examine_image_tools());
    return report;
}

std::string to_string(Severity severity)
{
    switch (severity) {
    case Severity::ok: return "ok";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
    }
    return "error";
}

nlohmann::json to_json(const Report& report)
{
    auto findings = nlohmann::json::array();
    for (const auto& f : report.findings)
        findings.push_back({{"topic", f.topic},
                            {"status", to_string(f.severity)},
                            {"summary", f.summary},
                            {"fix", f.fix},
                            {"details", f.details}});
    return {{"ok", !report.has_errors()}, {"findings", findings}};
}

} // namespace uk::doctor
