// Names of images and instances: 1 to 64 of [a-z0-9._-], starting with a letter or a
// digit. They become file and folder names, so nothing else (no '/', no "..") passes.
#pragma once

#include "core/error.hpp"

#include <string>
#include <string_view>

namespace uk::state {

// `what` is "image" or "instance", for the message.
Status check_name(std::string_view what, const std::string& name);

} // namespace uk::state
