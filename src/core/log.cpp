#include "core/log.hpp"

#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace uk::log {
namespace {

Settings current;

void line_to(std::FILE* stream, std::string_view prefix, std::string_view message)
{
    std::string line;
    line.reserve(prefix.size() + message.size() + 1);
    line.append(prefix).append(message).push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stream);
    std::fflush(stream);
}

const char* escape_of(Colour colour)
{
    switch (colour) {
    case Colour::red: return "\033[1;31m";
    case Colour::yellow: return "\033[1;33m";
    case Colour::green: return "\033[32m";
    case Colour::bold: return "\033[1m";
    case Colour::none: break;
    }
    return "";
}

} // namespace

void configure(const Settings& settings) { current = settings; }
const Settings& settings() { return current; }

bool colour_wanted(int fd, const char* no_colour, const char* term)
{
    if (no_colour && *no_colour)
        return false;
    if (term && std::strcmp(term, "dumb") == 0)
        return false;
    return ::isatty(fd) == 1;
}

std::string paint(std::string_view text, Colour colour, bool on_stdout)
{
    bool on = on_stdout ? current.colour_stdout : current.colour_stderr;
    if (!on || colour == Colour::none)
        return std::string(text);
    return fmt::format("{}{}\033[0m", escape_of(colour), text);
}

void error(std::string_view message)
{
    line_to(stderr, "uk: " + paint("error:", Colour::red, false) + " ", message);
}

void warning(std::string_view message)
{
    line_to(stderr, "uk: " + paint("warning:", Colour::yellow, false) + " ", message);
}

void notice(std::string_view message)
{
    if (!quiet())
        line_to(stderr, "uk: ", message);
}

void detail(std::string_view message)
{
    if (verbose())
        line_to(stderr, "uk: ", message);
}

void result(std::string_view line) { line_to(stdout, "", line); }

} // namespace uk::log
