// What uk-init says on the console that uk reads: the one line it always ends with,
// "uk-init: exit status N" (docs/guest.md), possibly after output the program left
// without a newline, and the kernel's panic line.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace uk::guest {

struct ExitStatusLine {
    std::size_t at = 0; // where uk-init's words start in the line
    int status = 0;     // 0-255
};

// uk-init's status line, also after program output that shares its line.
std::optional<ExitStatusLine> find_exit_status_line(std::string_view line);

// "Kernel panic - not syncing: ..." when the line is the kernel's panic.
bool is_kernel_panic_line(std::string_view line);

// The kernel's panic because it found no root file system to mount.
bool is_root_mount_panic(std::string_view panic_line);

} // namespace uk::guest
