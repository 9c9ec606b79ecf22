#include "image/probe_root.hpp"

#include "core/files.hpp"
#include "core/sha256.hpp"
#include "image/file_tree.hpp"
#include "image/squashfs.hpp"

#include <string>

namespace uk::image {

Result<std::filesystem::path> probe_root(const std::filesystem::path& folder, std::span<const std::byte> init)
{
    auto path = folder / ("probe-root-" + sha256_hex(init).substr(0, 16) + ".squashfs");
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec))
        return path;
    FileTree tree;
    // /dev: the kernel mounts devtmpfs there and opens /dev/console for init.
    for (const char* folder_path : {"/dev", "/proc", "/sys", "/sbin"})
        if (auto added = tree.add_directory(folder_path); !added)
            return fail(added.error());
    if (auto added = tree.add_bytes("/sbin/uk-init", std::string(reinterpret_cast<const char*>(init.data()), init.size()),
                                    0755);
        !added)
        return fail(added.error());
    if (auto made = create_private_directories(folder); !made)
        return fail(made.error());
    auto file = AtomicFile::create(path);
    if (!file)
        return fail(file.error());
    // Uncompressed: nothing for the guest to decompress, and it is only ~100 KB.
    auto written = write_squashfs(tree, {.compression = Compression::none, .workers = 1}, file->fd(), 0);
    if (!written)
        return fail(written.error());
    if (auto sized = file->resize(*written); !sized)
        return fail(sized.error());
    if (auto committed = file->commit(); !committed)
        return fail(committed.error());
    return path;
}

} // namespace uk::image
