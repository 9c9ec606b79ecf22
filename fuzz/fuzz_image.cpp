// The image inspector (GPT, FAT, SquashFS or EROFS, the manifest inside) and the check uk run makes
// before it boots an image: any file is described or refused, never a crash or a hang.
#include "image/inspect.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static int fd = ::memfd_create("uk-fuzz-image", 0);
    ::ftruncate(fd, 0);
    ::pwrite(fd, data, size, 0);
    std::filesystem::path file = "/proc/self/fd/" + std::to_string(fd);
    (void)uk::image::inspect_image(file);
    (void)uk::image::bootable_root(file);
    return 0;
}
