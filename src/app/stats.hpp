// uk instance stats and uk ps --stats: a running instance's figures, asked of the
// agent uk-init runs in its guest (guest/stats.hpp), with what the host knows beside.
#pragma once

#include "core/error.hpp"
#include "guest/stats.hpp"
#include "instance/store.hpp"

#include <chrono>

namespace uk::app {

Result<guest::GuestStats> instance_stats(const instance::Store& store, const std::string& name,
                                         std::chrono::milliseconds timeout);

// Of the CPU time between two samples of one guest: the busy share, in percent of one
// CPU (so 2 busy CPUs read 200), as top shows it.
double cpu_percent(const guest::GuestStats& before, const guest::GuestStats& after);

} // namespace uk::app
