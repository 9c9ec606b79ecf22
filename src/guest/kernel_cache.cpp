#include "guest/kernel_cache.hpp"

#include "core/files.hpp"
#include "guest/embedded.hpp"
#include "guest/vmlinux.hpp"

namespace uk::guest {

Result<std::filesystem::path> direct_boot_kernel(const std::filesystem::path& cache)
{
    auto folder = cache / "kernels" / kernel_record().sha256;
    auto path = folder / "vmlinux";
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec))
        return path;
    std::filesystem::create_directories(folder, ec);
    if (ec)
        return fail(ErrorKind::io, "cannot create folder {}: {}", folder.string(), ec.message());
    auto vmlinux = extract_vmlinux(kernel_image());
    if (!vmlinux)
        return fail(ErrorKind::internal, "the embedded kernel cannot be unpacked: {}", vmlinux.error().message);
    // Atomic: a concurrent uk run sees the whole file or none.
    if (auto written = write_file_atomically(path, *vmlinux); !written)
        return fail(written.error());
    return path;
}

} // namespace uk::guest
