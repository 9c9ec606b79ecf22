#include "json/json.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace {

struct Parsed {
    std::unique_ptr<json_value, decltype(&json_free)> value{nullptr, &json_free};
    json_error error{};
};

Parsed parse(const std::string& text)
{
    Parsed parsed;
    parsed.value.reset(json_parse(text.data(), text.size(), &parsed.error));
    return parsed;
}

std::string error_of(const std::string& text)
{
    auto parsed = parse(text);
    REQUIRE_FALSE(parsed.value);
    return std::to_string(parsed.error.line) + ":" + std::to_string(parsed.error.column) + ": " +
           parsed.error.message;
}

} // namespace

TEST_CASE("json: objects keep members in order with their positions", "[unit][uk-init]")
{
    auto parsed = parse("{\n  \"a\": 1,\n  \"b\": [true, null, \"x\"]\n}");
    REQUIRE(parsed.value);
    REQUIRE(parsed.value->count == 2);
    CHECK(std::string(parsed.value->keys[0]) == "a");
    const json_value* b = json_member(parsed.value.get(), "b");
    REQUIRE(b);
    CHECK(b->type == JSON_ARRAY);
    CHECK(b->line == 3);
    CHECK(b->column == 8);
    CHECK(b->items[0]->boolean == 1);
    CHECK(b->items[1]->type == JSON_NULL);
    CHECK(std::string(b->items[2]->string) == "x");
}

TEST_CASE("json: string escapes, including UTF-16 surrogate pairs, become UTF-8", "[unit][uk-init]")
{
    auto parsed = parse(R"("tab\t quote\" slash\/ \u00e9 \ud83d\ude00")");
    REQUIRE(parsed.value);
    CHECK(std::string(parsed.value->string) == "tab\t quote\" slash/ \xc3\xa9 \xf0\x9f\x98\x80");
}

TEST_CASE("json: integers are exact up to the long long range", "[unit][uk-init]")
{
    auto big = parse("9223372036854775807");
    REQUIRE(big.value);
    CHECK(big.value->is_integer);
    CHECK(big.value->integer == 9223372036854775807LL);
    auto too_big = parse("9223372036854775808");
    REQUIRE(too_big.value);
    CHECK_FALSE(too_big.value->is_integer);
    auto fraction = parse("1.5e3");
    REQUIRE(fraction.value);
    CHECK_FALSE(fraction.value->is_integer);
}

TEST_CASE("json: malformed documents are refused with line and column", "[unit][uk-init]")
{
    CHECK(error_of("") == "1:1: unexpected end of input");
    CHECK(error_of("{\"a\": 1,}") == "1:9: expected a field name in double quotes");
    CHECK(error_of("[1 2]") == "1:4: expected ',' or ']'");
    CHECK(error_of("{\"a\" 1}") == "1:6: expected ':' after the field name");
    CHECK(error_of("{\"a\": 1, \"a\": 2}") == "1:10: field \"a\" appears twice");
    CHECK(error_of("\"abc") == "1:5: unterminated string");
    CHECK(error_of("\"a\nb\"") == "1:3: control character in string (escape it)");
    CHECK(error_of("\"\\x\"") == "1:4: unknown escape '\\x' in string");
    CHECK(error_of("\"\\u0000\"") == "1:8: \\u0000 is not allowed in strings");
    CHECK(error_of("\"\\ud800\"") == "1:8: lone UTF-16 surrogate in string");
    CHECK(error_of("01") == "1:2: unexpected text after the JSON value");
    CHECK(error_of("-") == "1:2: expected a digit");
    CHECK(error_of("tru") == "1:1: expected a JSON value");
    CHECK(error_of("{}\n  x") == "2:3: unexpected text after the JSON value");
    CHECK(error_of(std::string(40, '[')) == "1:33: nested too deeply");
}

TEST_CASE("json: a lone \\uDC80-\\uDCFF is the byte that is not UTF-8, as uk writes bytes", "[unit][json]")
{
    json_error error{};
    const std::string text = "\"a\\udcffb\\udc80\"";
    std::unique_ptr<json_value, decltype(&json_free)> value(json_parse(text.data(), text.size(), &error), json_free);
    REQUIRE(value);
    CHECK(std::string(value->string) == "a\xff" "b\x80");
    CHECK(error_of("\"\\udc7f\"") == "1:8: lone UTF-16 surrogate in string");
}
