#include "vm/tsc.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <fstream>
#include <string>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace uk::vm {
#if defined(__x86_64__)
namespace {

bool host_has_constant_tsc()
{
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
        if (line.starts_with("flags"))
            return line.find(" constant_tsc") != std::string::npos;
    return false;
}

double monotonic_ns()
{
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC_RAW, &t);
    return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// A (time, tsc) pair taken as close together as the two reads allow: the TSC read
// sits between two clock reads and is paired with their midpoint.
struct Sample {
    double ns;
    double ticks;
};

Sample sample()
{
    double before = monotonic_ns();
    auto ticks = static_cast<double>(__rdtsc());
    double after = monotonic_ns();
    return {(before + after) / 2, ticks};
}

} // namespace

std::optional<std::uint32_t> emulated_tsc_khz()
{
    if (!host_has_constant_tsc())
        return std::nullopt;
    std::array<double, 3> estimates{};
    for (auto& estimate : estimates) {
        Sample start = sample();
        timespec pause{0, 2'000'000};
        nanosleep(&pause, nullptr);
        Sample end = sample();
        estimate = (end.ticks - start.ticks) / (end.ns - start.ns) * 1e6;
    }
    std::sort(estimates.begin(), estimates.end());
    return static_cast<std::uint32_t>(estimates[1]);
}

#else
// QEMU's cpu_get_host_ticks() has no case for this host and falls back to get_clock(),
// CLOCK_MONOTONIC in nanoseconds.
std::optional<std::uint32_t> emulated_tsc_khz()
{
    return 1'000'000;
}
#endif

} // namespace uk::vm
