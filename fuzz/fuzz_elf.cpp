// The ELF reader and the library closure: any file handed to uk build is classified or
// refused in one line. The closure looks in an empty root, never in the host's folders.
#include "elf/closure.hpp"
#include "elf/elf.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <sys/mman.h>
#include <unistd.h>

namespace {

// The input as a file with a name, without touching the disk.
std::filesystem::path as_file(const std::uint8_t* data, std::size_t size)
{
    static int fd = ::memfd_create("uk-fuzz-elf", 0);
    ::ftruncate(fd, 0);
    ::pwrite(fd, data, size, 0);
    return "/proc/self/fd/" + std::to_string(fd);
}

const std::filesystem::path& empty_root()
{
    static auto root = [] {
        auto path = std::filesystem::temp_directory_path() / ("uk-fuzz-root-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
        return path;
    }();
    return root;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto file = as_file(data, size);
    auto program = uk::elf::inspect_program(file);
    if (program)
        (void)uk::elf::resolve_closure(file, {.sysroot = empty_root(), .program_guest_path = "/program"});
    return 0;
}
