// The machine architectures uk builds guests for: a program's ELF machine picks one, and
// it decides the guest kernel, uk-init, the QEMU that runs it and the image's partition type.
#pragma once

#include <string>
#include <string_view>

namespace uk {

enum class Arch { amd64, arm64 };

// Debian's and Docker's names, which uk's flags and records use.
inline std::string to_string(Arch arch) { return arch == Arch::arm64 ? "arm64" : "amd64"; }

// The name a person reads: "x86-64" or "arm64 (AArch64)".
inline std::string_view display_name(Arch arch) { return arch == Arch::arm64 ? "arm64 (AArch64)" : "x86-64"; }

// The architecture of the machine uk itself runs on (uname's), which KVM can run guests of.
Arch host_arch();

} // namespace uk
