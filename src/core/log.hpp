// uk's messages to the user: the process's one piece of global state. The CLI sets the
// level and colour once, after reading the flags; everything else only writes.
//
// Errors and warnings go to stderr as one line each, "uk: error: " or "uk: warning: ",
// whatever the level; notices ("uk: ...") tell what uk is doing, and -q hides them;
// details are what -v adds. Results (what a
// command is for: a path, a table, JSON) go to stdout and are never filtered here.
#pragma once

#include <fmt/format.h>
#include <string>
#include <string_view>

namespace uk::log {

enum class Level {
    quiet,   // -q: results, warnings and errors only
    normal,
    verbose, // -v: also what uk does, step by step
};

enum class Colour { none, red, yellow, green, bold };

struct Settings {
    Level level = Level::normal;
    bool colour_stderr = false;
    bool colour_stdout = false;
    bool stderr_is_terminal = false;
};

void configure(const Settings& settings);
const Settings& settings();

inline bool quiet() { return settings().level == Level::quiet; }
inline bool verbose() { return settings().level == Level::verbose; }
// Progress bars and other redrawn lines: only on a terminal, and not with -q.
inline bool progress() { return settings().stderr_is_terminal && !quiet(); }

// Colour is used where the stream is a terminal and NO_COLOR is unset or empty
// (no-color.org) and TERM is not "dumb".
bool colour_wanted(int fd, const char* no_colour, const char* term);

// `text` in `colour` when colour is on for that stream (stdout or stderr).
std::string paint(std::string_view text, Colour colour, bool on_stdout = true);

void error(std::string_view message);
void warning(std::string_view message);
void notice(std::string_view message);
void detail(std::string_view message);
void result(std::string_view line);

// Formats only with -v; arguments that cost something to compute (a joined command
// line, one per packed file) are worth guarding with verbose() at the call.
template <typename... Args>
void detail(fmt::format_string<Args...> format, Args&&... args)
{
    if (verbose())
        detail(std::string_view(fmt::format(format, std::forward<Args>(args)...)));
}

} // namespace uk::log
