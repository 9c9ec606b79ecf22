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

std::string binary_size(std::uint64_t bytes)
{
    static const char units[] = "KMGT";
    int unit = -1;
    while (unit < 3 && bytes >= (1024ull << (10 * (unit + 1))))
        unit++;
    if (unit < 0)
        return std::to_string(bytes) + "B";
    auto scale = 1024ull << (10 * unit);
    char text[32];
    if (bytes % scale == 0)
        std::snprintf(text, sizeof text, "%llu%c", static_cast<unsigned long long>(bytes / scale), units[unit]);
    else
        std::snprintf(text, sizeof text, "%.1f%c", static_cast<double>(bytes) / static_cast<double>(scale), units[unit]);
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
