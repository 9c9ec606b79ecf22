// QEMU's user networking (libslirp) listens on each published TCP port with a backlog
// of one. A client that opens several connections at once (a browser, a proxy's pool, a
// load generator) then has all but two of them dropped by the host kernel, and TCP tries
// them again 0.2 to 1 s later: under load through `-p`, about 1% of requests took
// 100-450 ms where the rest took 5. uk fixes this from outside QEMU: it takes a copy of
// each listening socket (pidfd_getfd, allowed because uk started QEMU) and calls
// listen() on it again, which Linux applies to the socket QEMU accepts from.
#pragma once

#include "core/error.hpp"
#include "hypervisor/qemu_command.hpp"

#include <cstddef>
#include <vector>

namespace uk::hypervisor {

// Gives every socket that process `pid` listens on at one of `forwards`' host ports the
// full backlog (net.core.somaxconn). Returns how many it found: fewer than forwards.size()
// while QEMU is still starting. An error when the kernel refuses (Linux before 5.6, or a
// ptrace policy that forbids it).
Result<std::size_t> widen_listen_backlogs(int pid, const std::vector<settings::PortMapping>& forwards);

// widen_listen_backlogs, and a -v line saying how it went once it is settled. True when
// nothing is left to do: every port widened, or the kernel refused.
bool widen_listen_backlogs_and_say(int pid, const std::vector<settings::PortMapping>& forwards);

} // namespace uk::hypervisor
