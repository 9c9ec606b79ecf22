// Whether a guest behind QEMU's user networking accepts connections on a published port.
// The NAT takes a host connection at once, before the guest is even booted, and holds it,
// so "the port accepts" means nothing there; QEMU's `info usernet` shows its own
// connection to the guest ESTABLISHED once the guest accepted it.
#pragma once

#include "core/error.hpp"
#include "settings/settings.hpp"
#include "vm/backend.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace uk::hypervisor {

// In `info usernet`'s text: an ESTABLISHED connection to the guest's port.
bool guest_accepted(const std::string& usernet, std::uint16_t guest_port);

// Opens a connection every 150 ms (QEMU retries an unbooted guest with TCP's backoff,
// seconds apart) and asks QEMU over `qmp_socket` whether the guest took it; ends when it
// did, when `alive()` turns false, or at the timeout.
Result<vm::Readiness> wait_until_guest_accepts(const std::filesystem::path& qmp_socket,
                                               const settings::PortMapping& forward, std::chrono::milliseconds timeout,
                                               const std::function<bool()>& alive);

} // namespace uk::hypervisor
