#pragma once

#include "core/error.hpp"

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

namespace uk {

// Lower-case hex SHA-256.
std::string sha256_hex(std::span<const std::byte> bytes);
Result<std::string> sha256_file(const std::filesystem::path& path);

} // namespace uk
