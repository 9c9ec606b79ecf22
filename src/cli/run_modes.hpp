// `uk run` attached: the console on the terminal, Ctrl-C stops it, uk's status is the
// program's. (Detached runs: vm/detached.hpp.)
#pragma once

#include "core/error.hpp"
#include "hypervisor/qemu_command.hpp"
#include "instance/store.hpp"

#include <chrono>
#include <string_view>

namespace uk::cli {

// Turns guest console lines into what the user sees: without `verbose`, no boot noise,
// and nothing from uk-init's status line on (all of it stays in the console log).
class ConsoleFilter {
public:
    explicit ConsoleFilter(bool verbose) : verbose_(verbose) {}
    // The part of the line to show, or nothing.
    std::optional<std::string_view> filter(std::string_view line);

private:
    bool verbose_;
    bool program_ended_ = false;
};

Result<int> run_attached(const instance::Store& store, instance::Record record, const hypervisor::QemuConfig& config,
                         bool verbose);

} // namespace uk::cli
