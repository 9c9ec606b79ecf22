// Boots the committed kernel with uk-init on a squashfs root built by the test, without
// any of uk's host code: these tests check the guest on its own.
#pragma once

#include "core/process.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace uk::test {

// A root file system folder: uk-init and the manifest go in by themselves.
class GuestRoot {
public:
    explicit GuestRoot(const TempDir& dir);
    void add_file(const std::string& guest_path, const std::filesystem::path& host_file);
    // Writes /etc/uk/manifest.json verbatim (so tests can also write broken ones).
    void set_manifest_text(const std::string& text);
    void set_manifest(const nlohmann::json& manifest) { set_manifest_text(manifest.dump(2)); }
    // Packs the folder into a zstd squashfs with mksquashfs (an independent writer).
    std::filesystem::path pack() const;

private:
    std::filesystem::path folder_;
    std::filesystem::path image_;
};

struct GuestOptions {
    std::string memory = "64M";
    std::vector<std::pair<std::uint16_t, std::uint16_t>> tcp_forwards; // host → guest
    // How the guest gets 10.0.2.15: from uk-init (uk.ip=, what uk run does) or from the
    // kernel's own IP autoconfiguration (ip=).
    bool kernel_ip_config = false;
    std::string extra_kernel_args;
};

class GuestVm {
public:
    GuestVm(const TempDir& dir, const std::filesystem::path& root_image, const GuestOptions& options);

    // QEMU's exit status once it has ended by itself, or empty after the timeout.
    std::optional<int> wait_for_exit(std::chrono::seconds timeout);
    bool wait_for_console(const std::string& text, std::chrono::seconds timeout);
    std::string console() const;
    // A human monitor command, such as "system_powerdown" (the ACPI power button).
    void monitor(const std::string& command);

private:
    std::filesystem::path console_log_;
    std::filesystem::path monitor_socket_;
    std::optional<uk::Process> qemu_;
};

} // namespace uk::test
