#include "core/arch.hpp"

#include <sys/utsname.h>

namespace uk {

Arch host_arch()
{
    utsname name{};
    if (::uname(&name) == 0 && std::string_view(name.machine) == "aarch64")
        return Arch::arm64;
    return Arch::amd64;
}

} // namespace uk
