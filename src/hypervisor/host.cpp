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

Result<QemuBinary> find_qemu(const std::optional<std::string>& override_path, const std::filesystem::path& cache,
                             Arch arch)
{
    bool arm64 = arch == Arch::arm64;
    std::string variable = arm64 ? "UK_QEMU_ARM64" : "UK_QEMU";
    auto name = override_path.value_or(arm64 ? "qemu-system-aarch64" : "qemu-system-x86_64");
    auto path = find_in_path(name);
    if (!path) {
        if (override_path)
            return fail(ErrorKind::unavailable, "{} is set to {}, which is not an executable file", variable, name);
        return fail(ErrorKind::unavailable,
                    "{} was not found in PATH: install QEMU (Debian/Ubuntu: apt-get install {}) or point {} at it", name,
                    arm64 ? "qemu-system-arm" : "qemu-system-x86", variable);
    }
    auto key = file_identity(*path);
    auto cache_file = cache / (arm64 ? "qemu-version-arm64.json" : "qemu-version.json");
    auto line = cached_version(cache_file, key);
    if (!line) {
        auto asked = ask_version(*path);
        if (!asked)
            return fail(asked.error());
        line = *asked;
        // A cache that cannot be written only costs the next run the same 0.1 s.
        (void)create_private_directories(cache);
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

Result<vm::UefiFirmware> find_uefi_firmware(const std::filesystem::path& folder)
{
    // The 4 MiB build first, as QEMU's own firmware descriptors prefer.
    for (const auto& [code, vars] :
         {std::pair{"OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"}, std::pair{"OVMF_CODE.fd", "OVMF_VARS.fd"}}) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(folder / code, ec) && std::filesystem::is_regular_file(folder / vars, ec))
            return vm::UefiFirmware{folder / code, folder / vars};
    }
    return fail(ErrorKind::unavailable, "OVMF, QEMU's UEFI firmware, is not in {}: apt-get install ovmf",
                folder.string());
}

Result<vm::UefiFirmware> find_arm64_uefi_firmware(const std::filesystem::path& folder)
{
    std::error_code ec;
    auto code = folder / "AAVMF_CODE.fd", vars = folder / "AAVMF_VARS.fd";
    if (std::filesystem::is_regular_file(code, ec) && std::filesystem::is_regular_file(vars, ec))
        return vm::UefiFirmware{code, vars};
    return fail(ErrorKind::unavailable,
                "AAVMF, QEMU's UEFI firmware for arm64 guests, is not in {}: apt-get install qemu-efi-aarch64",
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
