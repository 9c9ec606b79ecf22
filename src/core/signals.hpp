// SIGINT, SIGTERM and SIGHUP reach uk only where it can stop cleanly. main() blocks them
// first thing; long operations ask stop_requested() at safe points (between files of an
// image, before renaming it into place) and whatever waits on a VM reads them from a
// descriptor (StopSignals). A Ctrl-C therefore never leaves a half-written image or a
// stray QEMU behind. docs/decisions.md has the whole rule.
#pragma once

#include "core/unique_fd.hpp"

#include <csignal>

namespace uk {

void defer_stop_signals();

// True when one of them is pending (it stays pending for whoever handles it next).
bool stop_requested();

// The pending stop signal (SIGTERM before SIGHUP before SIGINT), or 0.
int pending_stop_signal();

// Requests to stop, readable on a descriptor: what an event loop polls beside its other
// inputs. StopSignals is the real one; tests give their own.
class StopRequests {
public:
    virtual ~StopRequests() = default;
    virtual int fd() const = 0;
    // Takes what arrived; true when at least one request did.
    virtual bool take() = 0;
    // The signal behind the last request taken, when there is one (0 otherwise).
    virtual int last_signal() const { return 0; }
};

// The stop signals, delivered on a signalfd while the object lives (they stay blocked).
class StopSignals final : public StopRequests {
public:
    StopSignals();
    ~StopSignals() override;
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;
    int fd() const override { return fd_.get(); }
    bool take() override;
    int last_signal() const override { return last_; }

private:
    int last_ = 0;
    sigset_t set_{};
    sigset_t previous_{};
    UniqueFd fd_;
};

} // namespace uk
