// What --json prints: indented, and valid JSON whatever the bytes in it (file names and
// arguments are bytes on Linux; a byte that is not UTF-8 prints as U+FFFD).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace uk::cli {

inline std::string json_text(const nlohmann::json& json)
{
    return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace uk::cli
