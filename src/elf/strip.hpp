// What `strip` does to an ELF file, on a copy: drops everything the loader does not map
// (debug information, symbol tables, comments), keeps every allocated section, segment
// and the section names. Only for 64-bit little-endian files whose allocated sections
// all come before the others, as linkers lay them out; anything else is left alone.
#pragma once

#include "core/error.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace uk::elf {

// The stripped bytes, or nothing when the file is not ELF64 or is laid out in a way this
// does not strip safely (the caller packs it unchanged).
Result<std::optional<std::string>> strip_copy(const std::filesystem::path& path);

} // namespace uk::elf
