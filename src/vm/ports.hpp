// Published ports on the host: each must be free before a VM is started on it.
#pragma once

#include "core/error.hpp"
#include "settings/settings.hpp"

#include <vector>

namespace uk::vm {

// Each host port must be free now; a port given twice is an error too.
Status check_ports_free(const std::vector<settings::PortMapping>& ports);

// The gdb stub's port on 127.0.0.1 (uk run --gdb) must be free too.
Status check_debugger_port(std::uint16_t port);

} // namespace uk::vm
