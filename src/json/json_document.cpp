#include "json/json_document.hpp"

#include "json/json.h"

namespace uk::json {

void JsonDocument::Free::operator()(json_value* value) const { json_free(value); }

Result<JsonDocument> JsonDocument::parse(std::string_view text, const std::string& file_name)
{
    // Some Windows editors start UTF-8 files with one; JSON does not allow it.
    if (text.starts_with("\xEF\xBB\xBF"))
        return fail(ErrorKind::invalid_input,
                    "{}:1:1: the file starts with a UTF-8 byte-order mark, which JSON does not allow: save it "
                    "without one (UTF-8, no BOM)",
                    file_name);
    json_error error{};
    json_value* root = json_parse(text.data(), text.size(), &error);
    if (!root)
        return fail(ErrorKind::invalid_input, "{}:{}:{}: {}", file_name, error.line, error.column, error.message);
    JsonDocument document;
    document.root_.reset(root);
    return document;
}

JsonNode JsonDocument::root() const { return JsonNode(root_.get(), ""); }

namespace {

nlohmann::json convert(const json_value* v)
{
    switch (v->type) {
    case JSON_NULL: return nullptr;
    case JSON_BOOL: return v->boolean != 0;
    case JSON_NUMBER: return v->is_integer ? nlohmann::json(v->integer) : nlohmann::json(nullptr);
    case JSON_STRING: return std::string(v->string);
    case JSON_ARRAY: {
        auto array = nlohmann::json::array();
        for (std::size_t i = 0; i < v->count; i++)
            array.push_back(convert(v->items[i]));
        return array;
    }
    case JSON_OBJECT: {
        auto object = nlohmann::json::object();
        for (std::size_t i = 0; i < v->count; i++)
            object[v->keys[i]] = convert(v->items[i]);
        return object;
    }
    }
    return nullptr;
}

} // namespace

nlohmann::json JsonDocument::to_nlohmann() const { return convert(root_.get()); }

Position JsonNode::position() const { return {value_->line, value_->column}; }
bool JsonNode::is_object() const { return value_->type == JSON_OBJECT; }
bool JsonNode::is_array() const { return value_->type == JSON_ARRAY; }
bool JsonNode::is_string() const { return value_->type == JSON_STRING; }
bool JsonNode::is_bool() const { return value_->type == JSON_BOOL; }
bool JsonNode::is_integer() const { return value_->type == JSON_NUMBER && value_->is_integer; }
const char* JsonNode::type_name() const
{
    if (value_->type == JSON_NUMBER && !value_->is_integer)
        return "a number with a fraction";
    return json_type_name(value_->type);
}
std::string JsonNode::as_string() const { return value_->string ? value_->string : ""; }
bool JsonNode::as_bool() const { return value_->boolean != 0; }
long long JsonNode::as_integer() const { return value_->integer; }
std::size_t JsonNode::size() const { return value_->count; }

JsonNode JsonNode::item(std::size_t index) const
{
    return JsonNode(value_->items[index], path_ + "[" + std::to_string(index) + "]");
}

std::string JsonNode::key(std::size_t index) const { return value_->keys[index]; }

Position JsonNode::key_position(std::size_t index) const { return {value_->key_lines[index], value_->key_columns[index]}; }

JsonNode JsonNode::member(std::size_t index) const
{
    return JsonNode(value_->items[index], path_.empty() ? key(index) : path_ + "." + key(index));
}

} // namespace uk::json
