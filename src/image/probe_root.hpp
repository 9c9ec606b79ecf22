// The smallest root a uk guest boots: uk-init and the folders the kernel needs before it
// starts init, nothing else. The KVM probe (hypervisor/kvm_probe.hpp) boots it to prove
// that the host's KVM runs uk's guest as far as user space.
#pragma once

#include "core/error.hpp"

#include <cstddef>
#include <filesystem>
#include <span>

namespace uk::image {

// A bare SquashFS (no partition table: the kernel mounts it as /dev/vda) in `folder`,
// named after uk-init's hash and written once: later calls find it there.
Result<std::filesystem::path> probe_root(const std::filesystem::path& folder, std::span<const std::byte> init);

} // namespace uk::image
