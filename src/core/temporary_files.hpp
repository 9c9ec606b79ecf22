// Files uk writes under a temporary name before renaming them into place (AtomicFile,
// uk image create's raw image). A uk killed with SIGKILL, or a machine that lost power,
// cannot remove its own, so their names say who made them: ".NAME.uk-tmp.PID.XXXXXX".
// Any later uk that writes in the same folder removes those whose maker is gone, and
// `uk doctor` reports them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace uk {

// The mkstemp pattern for a temporary beside `target`, owned by this process.
std::string temporary_pattern(const std::filesystem::path& target);

// Temporaries in `folder` whose maker no longer runs: its pid is gone, or the process
// with that pid started after the file was made (so it is another one).
std::vector<std::filesystem::path> stale_temporaries(const std::filesystem::path& folder);

// Removes them; what cannot be removed stays for uk doctor to report.
void remove_stale_temporaries(const std::filesystem::path& folder);

// The lock file that guards writing `target` (".NAME.uk-lock" beside it). One whose holder
// was killed is left behind unheld; it counts as a stale temporary.
std::filesystem::path lock_file_for(const std::filesystem::path& target);

} // namespace uk
