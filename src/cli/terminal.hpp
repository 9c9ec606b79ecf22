// uk's own lines on the terminal. Errors and warnings go to stderr as one line each,
// prefixed "uk: error: " or "uk: warning: "; results go to stdout.
#pragma once

#include <string_view>

namespace uk::cli {

void print_error(std::string_view message);
void print_warning(std::string_view message);
void print_notice(std::string_view message); // "uk: ..." on stderr
void print_result(std::string_view line);    // a line on stdout

} // namespace uk::cli
