// A running QEMU, as vm::Machine: its console through a pipe, what it says on stderr, and
// its run state through a private QMP connection (guest_watch.hpp), so that a guest QEMU
// stops by itself is an event, not a silence. While QEMU starts it also widens the listen
// backlog of the published TCP ports (listen_backlog.hpp says why).
#pragma once

#include "core/process.hpp"
#include "hypervisor/guest_watch.hpp"
#include "hypervisor/qemu_command.hpp"
#include "vm/backend.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace uk::hypervisor {

class QemuMachine final : public vm::Machine {
public:
    // QEMU's stderr goes to `own_log` too, as it comes (none when empty).
    static Result<std::unique_ptr<QemuMachine>> start(QemuConfig config, const std::filesystem::path& own_log = {});

    int pid() const override { return qemu_.pid(); }
    vm::Event next(std::chrono::milliseconds timeout, int wake_fd) override;
    std::string diagnostics() const override { return qemu_reason(errors_); }
    bool press_power_button() override;
    void kill() override { qemu_.kill(); }

    QemuMachine(Process qemu, GuestWatch watch, std::vector<settings::PortMapping> published, UniqueFd own_log);

private:
    void read_errors();
    vm::Event end();

    Process qemu_;
    GuestWatch watch_;
    std::vector<settings::PortMapping> published_; // TCP ports whose backlog is still to widen
    std::chrono::steady_clock::time_point widen_until_;
    std::string errors_;
    bool console_open_ = true;
    bool errors_open_ = true;
    bool stop_reported_ = false;
    bool running_reported_ = false;
    UniqueFd own_log_;
    std::optional<vm::event::Ended> ended_;
    std::deque<vm::Event> pending_;
};

} // namespace uk::hypervisor
