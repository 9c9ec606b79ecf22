// libsquashfs over a region of an open file (the root partition inside the disk image),
// and the owner for the objects libsquashfs creates. Shared by the writer and the reader.
#pragma once

#include <cstdint>
#include <memory>
#include <sqfs/io.h>
#include <sqfs/predef.h>

namespace uk::image {

struct RegionFile {
    sqfs_file_t base; // first: libsquashfs casts between the two
    int fd = -1;
    std::uint64_t offset = 0;
    std::uint64_t size = 0; // grows as the writer writes
};

// A region that starts at `offset` of `fd`; read-only ones refuse writes. The caller
// owns it (libsquashfs's destroy does nothing).
RegionFile make_region(int fd, std::uint64_t offset, std::uint64_t size, bool writable);

template <class T>
struct SqfsDeleter {
    void operator()(T* object) const { sqfs_destroy(object); }
};
template <class T>
using Owned = std::unique_ptr<T, SqfsDeleter<T>>;

} // namespace uk::image
