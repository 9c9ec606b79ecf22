#pragma once

#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace uk {

// A moment in UTC with strftime's format; ISO 8601 ("2026-11-23T16:18:51Z") by default.
std::string format_utc(std::time_t when, const char* format = "%Y-%m-%dT%H:%M:%SZ");

// "4.3 MB", "812 KB", "17 B": decimal units, one decimal, for people.
std::string human_bytes(std::uint64_t bytes);

// "1G", "512M", "1.5G", "664K": binary units as sizes are given (--size 1G, --mem 512M),
// a decimal only when the size is not a whole number of the unit.
std::string binary_size(std::uint64_t bytes);

} // namespace uk
