#include "core/signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

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

StopSignals::StopSignals() : set_(stop_set())
{
    ::sigprocmask(SIG_BLOCK, &set_, &previous_);
    fd_.reset(::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK));
}

StopSignals::~StopSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }

bool StopSignals::take()
{
    signalfd_siginfo info{};
    bool any = false;
    while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        any = true;
        last_ = static_cast<int>(info.ssi_signo);
    }
    return any;
}

int pending_stop_signal()
{
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    for (int s : {SIGTERM, SIGHUP, SIGINT})
        if (sigismember(&pending, s) == 1)
            return s;
    return 0;
}

} // namespace uk
