#include "core/log.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

using uk::log::colour_wanted;

namespace {

// A pseudo-terminal's far end: isatty() is true for it, as for a user's terminal.
struct PseudoTerminal {
    int controller = -1;
    int terminal = -1;
    PseudoTerminal()
    {
        controller = ::posix_openpt(O_RDWR | O_NOCTTY);
        if (controller >= 0 && ::grantpt(controller) == 0 && ::unlockpt(controller) == 0)
            terminal = ::open(::ptsname(controller), O_RDWR | O_NOCTTY);
    }
    ~PseudoTerminal()
    {
        if (terminal >= 0)
            ::close(terminal);
        if (controller >= 0)
            ::close(controller);
    }
};

} // namespace

TEST_CASE("log: colour on a terminal unless NO_COLOR is set and not empty, or TERM is dumb", "[unit][core]")
{
    PseudoTerminal tty;
    REQUIRE(tty.terminal >= 0);
    CHECK(colour_wanted(tty.terminal, nullptr, "xterm-256color"));
    CHECK(colour_wanted(tty.terminal, "", "xterm")); // NO_COLOR= (empty) does not count
    CHECK_FALSE(colour_wanted(tty.terminal, "1", "xterm"));
    CHECK_FALSE(colour_wanted(tty.terminal, nullptr, "dumb"));

    int pipe_ends[2];
    REQUIRE(::pipe(pipe_ends) == 0);
    CHECK_FALSE(colour_wanted(pipe_ends[1], nullptr, "xterm"));
    ::close(pipe_ends[0]);
    ::close(pipe_ends[1]);
}

TEST_CASE("log: paint adds colour only where it is on", "[unit][core]")
{
    auto saved = uk::log::settings();
    uk::log::configure({.colour_stdout = true});
    CHECK(uk::log::paint("ok", uk::log::Colour::green) == "\033[32mok\033[0m");
    CHECK(uk::log::paint("error:", uk::log::Colour::red, false) == "error:");
    uk::log::configure(saved);
    CHECK(uk::log::paint("ok", uk::log::Colour::green) == "ok");
}
