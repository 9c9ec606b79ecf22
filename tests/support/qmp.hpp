// Talks to a QEMU's QMP socket as somebody other than uk would (a user poking at a VM).
#pragma once

#include <filesystem>
#include <string>

namespace uk::test {

// Connects, negotiates, runs one command without arguments ("stop", "query-status") and
// returns QEMU's reply line (events before it are skipped); empty when that fails.
std::string qmp_command(const std::filesystem::path& socket, const std::string& command);

} // namespace uk::test
