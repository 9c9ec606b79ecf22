#pragma once

#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace uk {

// "128M", "1G", "512m", "2048" (MiB, as QEMU reads a bare number). Binary units.
Result<std::uint64_t> parse_memory_mib(const std::string& text);

// "10s", "500ms", "2m", "1.5s", or a bare number of seconds ("10").
Result<std::chrono::milliseconds> parse_duration(const std::string& text);

// "4.3 MB", "812 KB", "17 B": decimal units, one decimal, for people.
std::string human_bytes(std::uint64_t bytes);

} // namespace uk
