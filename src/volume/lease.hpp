// A VM's hold on a volume while it runs: one writer, or any number of readers, never
// both. An flock on the volume's lock file, so the kernel lets go when the holder dies
// and a killed uk never leaves a volume locked. The holder is the process that watches
// the VM (an attached uk run, or a detached instance's monitor), which the VM never
// outlives; QEMU's own image locking refuses a second writer as well.
#pragma once

#include "core/error.hpp"
#include "core/unique_fd.hpp"

#include <filesystem>
#include <optional>

namespace uk::volume {

enum class Access { read_only, read_write };

class Lease {
public:
    // Taken now, or nothing when someone holds it in a way that excludes `access`.
    static Result<std::optional<Lease>> try_take(const std::filesystem::path& lock_file, Access access);

    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = default;

private:
    explicit Lease(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

} // namespace uk::volume
