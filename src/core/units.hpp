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

} // namespace uk
