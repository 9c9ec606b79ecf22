#include "core/signals.hpp"

#include <csignal>

namespace uk {
namespace {

sigset_t stop_set()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

} // namespace

void defer_stop_signals()
{
    auto set = stop_set();
    sigprocmask(SIG_BLOCK, &set, nullptr);
}

bool stop_requested()
{
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1 ||
           sigismember(&pending, SIGHUP) == 1;
}

} // namespace uk
