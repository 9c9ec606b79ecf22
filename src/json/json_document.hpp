// A parsed JSON document that remembers where every key and value is, for messages
// like "uk.json:3:15: RunConfig.Memory: ...". nlohmann/json reports positions only for
// syntax errors (and keeps the last of two equal keys), so the config reads with the
// small strict reader uk-init also uses (json.h).
#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <string_view>

struct json_value;

namespace uk::json {

struct Position {
    int line = 0;
    int column = 0;
};

// A value and the field path that leads to it ("RunConfig.Ports[1]").
class JsonNode {
public:
    JsonNode(const json_value* value, std::string path) : value_(value), path_(std::move(path)) {}

    const std::string& path() const { return path_; }
    Position position() const;

    bool is_object() const;
    bool is_array() const;
    bool is_string() const;
    bool is_bool() const;
    bool is_integer() const;
    const char* type_name() const; // "a string", "an array", ...

    std::string as_string() const;
    bool as_bool() const;
    long long as_integer() const;

    std::size_t size() const;                // members or items
    JsonNode item(std::size_t index) const;  // arrays
    std::string key(std::size_t index) const; // objects
    Position key_position(std::size_t index) const;
    JsonNode member(std::size_t index) const; // objects, by index

private:
    const json_value* value_;
    std::string path_;
};

class JsonDocument {
public:
    // Syntax errors come back as "FILE:LINE:COL: what was expected".
    static Result<JsonDocument> parse(std::string_view text, const std::string& file_name);

    JsonNode root() const;
    // The same values for code that works with nlohmann/json; strings keep their bytes
    // (print them with an error handler if they may not be UTF-8).
    nlohmann::json to_nlohmann() const;

private:
    struct Free {
        void operator()(json_value* value) const;
    };
    std::unique_ptr<json_value, Free> root_;
};

} // namespace uk::json
