#include "core/units.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace uk {

std::string human_bytes(std::uint64_t bytes)
{
    char text[32];
    if (bytes < 1000)
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    else if (bytes < 1000 * 1000)
        std::snprintf(text, sizeof text, "%.1f KB", static_cast<double>(bytes) / 1e3);
    else if (bytes < 1000ull * 1000 * 1000)
        std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
    else
        std::snprintf(text, sizeof text, "%.2f GB", static_cast<double>(bytes) / 1e9);
    return text;
}

std::string format_utc(std::time_t when, const char* format)
{
    std::tm utc{};
    gmtime_r(&when, &utc);
    char text[64];
    return std::string(text, std::strftime(text, sizeof text, format, &utc));
}

} // namespace uk
