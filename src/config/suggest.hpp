#pragma once

#include <optional>
#include <string>
#include <vector>

namespace uk::config {

// The known name closest to `name` when it is plausibly a typo (same letters in another
// case, or at most two edits away), for "did you mean ...?".
std::optional<std::string> closest_name(const std::string& name, const std::vector<std::string>& known);

} // namespace uk::config
