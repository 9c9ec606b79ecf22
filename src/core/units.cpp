#include "core/units.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace uk {

Result<std::uint64_t> parse_memory_mib(const std::string& text)
{
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    std::string unit(end, text.data() + text.size());
    auto bad = [&] {
        return fail(ErrorKind::usage, "\"{}\" is not a memory size: expected a number with K, M or G, like \"128M\"",
                    text);
    };
    if (error != std::errc{} || end == text.data())
        return bad();
    std::uint64_t mib = 0;
    if (unit.empty() || unit == "M" || unit == "m")
        mib = value;
    else if (unit == "G" || unit == "g")
        mib = value * 1024;
    else if (unit == "K" || unit == "k") {
        if (value % 1024 != 0)
            return fail(ErrorKind::usage, "memory size \"{}\" is not a whole number of MiB", text);
        mib = value / 1024;
    } else
        return bad();
    if (value > (1ull << 40))
        return bad();
    return mib;
}

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

Result<std::chrono::milliseconds> parse_duration(const std::string& text)
{
    auto bad = [&] {
        return fail(ErrorKind::usage, "\"{}\" is not a duration: expected e.g. 10s, 500ms or 2m", text);
    };
    std::size_t digits = 0;
    while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
        digits++;
    if (digits == 0 || digits > 12)
        return bad();
    double value = 0;
    try {
        std::size_t used = 0;
        value = std::stod(text.substr(0, digits), &used);
        if (used != digits)
            return bad();
    } catch (const std::exception&) {
        return bad();
    }
    auto unit = text.substr(digits);
    double scale = 0;
    if (unit.empty() || unit == "s")
        scale = 1000;
    else if (unit == "ms")
        scale = 1;
    else if (unit == "m")
        scale = 60'000;
    else if (unit == "h")
        scale = 3'600'000;
    else
        return bad();
    return std::chrono::milliseconds(static_cast<long long>(value * scale));
}

std::string format_utc(std::time_t when, const char* format)
{
    std::tm utc{};
    gmtime_r(&when, &utc);
    char text[64];
    return std::string(text, std::strftime(text, sizeof text, format, &utc));
}

} // namespace uk
