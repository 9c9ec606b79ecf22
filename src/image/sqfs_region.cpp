#include "image/sqfs_region.hpp"

#include "core/files.hpp"

#include <algorithm>
#include <sqfs/error.h>
#include <vector>

namespace uk::image {
namespace {

int region_read(sqfs_file_t* file, sqfs_u64 at, void* buffer, size_t size)
{
    auto* region = reinterpret_cast<RegionFile*>(file);
    if (at + size > region->size)
        return SQFS_ERROR_OUT_OF_BOUNDS;
    auto read = read_fully_at(region->fd, {static_cast<std::byte*>(buffer), size}, region->offset + at, "the image");
    return read ? 0 : SQFS_ERROR_IO;
}

int region_write(sqfs_file_t* file, sqfs_u64 at, const void* buffer, size_t size)
{
    auto* region = reinterpret_cast<RegionFile*>(file);
    auto written =
        write_fully_at(region->fd, {static_cast<const std::byte*>(buffer), size}, region->offset + at, "the image");
    if (!written)
        return SQFS_ERROR_IO;
    region->size = std::max(region->size, at + size);
    return 0;
}

int refuse_write(sqfs_file_t*, sqfs_u64, const void*, size_t) { return SQFS_ERROR_IO; }

sqfs_u64 region_size(const sqfs_file_t* file) { return reinterpret_cast<const RegionFile*>(file)->size; }

int region_truncate(sqfs_file_t* file, sqfs_u64 size)
{
    auto* region = reinterpret_cast<RegionFile*>(file);
    if (size > region->size) {
        std::vector<char> zeros(size - region->size, 0);
        int result = region_write(file, region->size, zeros.data(), zeros.size());
        if (result != 0)
            return result;
    }
    region->size = size;
    return 0;
}

int refuse_truncate(sqfs_file_t*, sqfs_u64) { return SQFS_ERROR_IO; }

void region_destroy(sqfs_object_t*) {} // owned by the caller

} // namespace

RegionFile make_region(int fd, std::uint64_t offset, std::uint64_t size, bool writable)
{
    RegionFile region{};
    region.base.base.destroy = region_destroy;
    region.base.read_at = region_read;
    region.base.write_at = writable ? region_write : refuse_write;
    region.base.get_size = region_size;
    region.base.truncate = writable ? region_truncate : refuse_truncate;
    region.fd = fd;
    region.offset = offset;
    region.size = size;
    return region;
}

} // namespace uk::image
