#include "guest/kernel_cache.hpp"

#include "core/files.hpp"
#include "core/sha256.hpp"
#include "guest/embedded.hpp"
#include "guest/vmlinux.hpp"

namespace uk::guest {

Result<std::filesystem::path> direct_boot_kernel(const std::filesystem::path& cache, Arch arch)
{
    auto folder = cache / "kernels" / kernel_record(arch).sha256;
    std::string name = arch == Arch::arm64 ? "Image" : "vmlinux";
    auto path = folder / name;
    auto digest_path = folder / (name + ".sha256");
    // The unpacked kernel is checked against the digest taken when it was unpacked (about
    // 15 ms): a cache damaged on disk would otherwise fail every run with QEMU's "Error
    // while loading elf kernel". A damaged one is unpacked again.
    auto kept = read_file(digest_path);
    auto actual = sha256_file(path);
    if (kept && actual && *kept == *actual)
        return path;
    if (auto made = create_private_directories(folder); !made)
        return fail(made.error());
    auto vmlinux = arch == Arch::arm64 ? extract_arm64_image(kernel_image(arch)) : extract_vmlinux(kernel_image(arch));
    if (!vmlinux)
        return fail(ErrorKind::internal, "the embedded kernel cannot be unpacked: {}", vmlinux.error().message);
    // Atomic: a concurrent uk run sees the whole file or none; the digest comes second, so
    // a kernel with a digest is always a whole one.
    if (auto written = write_file_atomically(path, *vmlinux); !written)
        return fail(written.error());
    if (auto written = write_file_atomically(digest_path, as_bytes(sha256_hex(*vmlinux))); !written)
        return fail(written.error());
    return path;
}

} // namespace uk::guest
