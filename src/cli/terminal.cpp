#include "cli/terminal.hpp"

#include <cstdio>
#include <string>

namespace uk::cli {
namespace {

void line_to(std::FILE* stream, std::string_view prefix, std::string_view message)
{
    std::string line;
    line.reserve(prefix.size() + message.size() + 1);
    line.append(prefix).append(message).push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stream);
    std::fflush(stream);
}

} // namespace

void print_error(std::string_view message) { line_to(stderr, "uk: error: ", message); }
void print_warning(std::string_view message) { line_to(stderr, "uk: warning: ", message); }
void print_notice(std::string_view message) { line_to(stderr, "uk: ", message); }
void print_result(std::string_view line) { line_to(stdout, "", line); }

} // namespace uk::cli
