// Debian builds Node.js with some of its built-in modules left out of the binary: libnode
// loads them at start from /usr/share/nodejs (cjs-module-lexer, undici, acorn), and node
// aborts ("Cannot load externalized builtin") in an image without them. Their paths are
// compiled into libnode, so uk reads them from there.
#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace uk::image {

// The /usr/share/nodejs/....js paths a library names (none for other libraries and for
// Node.js builds that carry their builtins, as NodeSource's and nodejs.org's do).
Result<std::vector<std::string>> externalized_node_builtins(const std::filesystem::path& library);

} // namespace uk::image
