// The config reader (uk.json and ops's config.json): any bytes give a config or one error
// with a position, never a crash, a leak or a hang.
#include "config/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = uk::config::parse_config(text, "uk.json");
    if (!config && config.error().message.empty())
        __builtin_trap(); // every refusal says why
    return 0;
}
