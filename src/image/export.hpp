// A firmware-bootable raw image in the format a target takes: raw, qcow2 (OpenStack,
// KVM hosts), streamOptimized VMDK (vSphere, AWS snapshot import), fixed VHD (Azure), and
// GCP's disk.raw in a gzipped GNU tar. Conversions are qemu-img's; the tarball libarchive's.
#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace uk::image {

enum class Target { raw, qcow2, vmdk, vhd, gcp, aws, openstack };

Result<Target> parse_target(const std::string& name);
std::string to_string(Target target);
// ".img", ".qcow2", ".vmdk", ".vhd", ".tar.gz"
std::string file_extension(Target target);

// Writes `output` (atomically) from the raw image `raw`, which is left as it is.
// `cancelled` is asked as it goes (between blocks, and while qemu-img runs): true stops
// it with ErrorKind::interrupted, and nothing is left at `output`.
Status export_image(const std::filesystem::path& raw, Target target, const std::filesystem::path& output,
                    const std::function<bool()>& cancelled = [] { return false; });

// The other way: a disk in any of those formats (QEMU's name: raw, qcow2, vmdk, vpc)
// written to `raw` as a raw image, atomically.
Status import_disk(const std::filesystem::path& disk, const std::string& format, const std::filesystem::path& raw,
                   const std::function<bool()>& cancelled = [] { return false; });

} // namespace uk::image
