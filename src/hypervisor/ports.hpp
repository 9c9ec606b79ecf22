// Published ports, docker's way: -p [IP:]HOST[:GUEST][/tcp|/udp], bound to 127.0.0.1
// unless an address is given, the guest port equal to the host port unless given.
#pragma once

#include "core/error.hpp"
#include "hypervisor/qemu_command.hpp"

#include <string>
#include <vector>

namespace uk::hypervisor {

Result<PortForward> parse_port(const std::string& spec);

// Each host port must be free now; a port given twice is an error too.
Status check_ports_free(const std::vector<PortForward>& forwards);

} // namespace uk::hypervisor
