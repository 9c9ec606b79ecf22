// A VM backend without a VM: machines play a script of events (running, console output,
// a stop by the hypervisor, an end), so the use cases in src/app can be driven in unit
// tests as QEMU would drive them, quickly and without guests.
#pragma once

#include "core/process.hpp"
#include "core/signals.hpp"
#include "core/unique_fd.hpp"
#include "vm/backend.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace uk::test {

// A process that stands in for a hypervisor's: a sleeping shell whose command line names
// the VM's control socket, as QEMU's does, so instance records see it alive until killed.
Result<Process> stand_in_process(const std::filesystem::path& control_socket);

struct FakeStep {
    enum class Kind { running, console, hypervisor_stop, end, pause };
    Kind kind = Kind::running;
    std::string text; // console bytes, or the run state of a stop
    int status = 0;   // of an end
    std::chrono::milliseconds pause{0};

    static FakeStep running() { return {Kind::running, {}, 0, {}}; }
    static FakeStep console(std::string bytes) { return {Kind::console, std::move(bytes), 0, {}}; }
    static FakeStep stopped(std::string run_state) { return {Kind::hypervisor_stop, std::move(run_state), 0, {}}; }
    static FakeStep end(int status = 0) { return {Kind::end, {}, status, {}}; }
    static FakeStep wait(std::chrono::milliseconds how_long) { return {Kind::pause, {}, 0, how_long}; }
};

// What happened to the backend's machines, for the test to check.
struct FakeLog {
    std::mutex lock;
    int started = 0;
    int power_button_presses = 0; // on the machines and through control sockets
    int kills = 0;
};

class FakeMachine final : public vm::Machine {
public:
    FakeMachine(std::deque<FakeStep> script, bool obeys_power_button, std::shared_ptr<FakeLog> log, Process process)
        : script_(std::move(script)), obeys_(obeys_power_button), log_(std::move(log)), process_(std::move(process))
    {
    }
    int pid() const override { return process_.pid(); }
    vm::Event next(std::chrono::milliseconds timeout, int wake_fd) override;
    std::string diagnostics() const override { return diagnostics_; }
    bool press_power_button() override;
    void kill() override;
    void set_diagnostics(std::string said) { diagnostics_ = std::move(said); }

private:
    std::deque<FakeStep> script_;
    bool obeys_;
    std::shared_ptr<FakeLog> log_;
    std::string diagnostics_;
    Process process_;
    bool killed_ = false;
    bool ended_ = false;
    int status_ = 0;
};

class FakeBackend final : public vm::Backend {
public:
    // Every machine plays `script`; one that obeys the power button prints uk-init's line
    // for SIGTERM (143) and ends.
    std::vector<FakeStep> script{FakeStep::running(), FakeStep::console("uk-init: exit status 0\n"), FakeStep::end()};
    bool obeys_power_button = true;
    std::string diagnostics;                 // what the fake hypervisor "said"
    vm::Readiness readiness = vm::Readiness::ready;
    bool readiness_watches_alive = false; // wait until alive() turns false, then vm_ended
    std::shared_ptr<FakeLog> log = std::make_shared<FakeLog>();
    // Called by press_power_button(control_socket): what a guest obeying it would do.
    std::function<void()> on_remote_power_button;

    std::string name() const override { return "Fake"; }
    std::vector<std::string> command_line(const vm::VmSpec& spec) const override;
    Result<std::unique_ptr<vm::Machine>> start(const vm::VmSpec& spec, const std::filesystem::path& own_log) override;
    Status press_power_button(const std::filesystem::path& control_socket) override;
    Result<vm::Readiness> wait_until_guest_accepts(const std::filesystem::path& control_socket,
                                                   const settings::PortMapping& port, std::chrono::milliseconds timeout,
                                                   const std::function<bool()>& alive) override;
    vm::KvmProbe probe_kvm(const vm::ProbeGuest&, bool) override { return {.boots = false, .reason = "fake"}; }
    std::string identity() const override { return "fake"; }
    Result<vm::UefiFirmware> uefi_firmware(Arch) const override
    {
        return fail(ErrorKind::unavailable, "the fake backend has no firmware");
    }
};

// Stop requests a test sends (an eventfd in semaphore mode: each take() takes one).
class FakeStops final : public StopRequests {
public:
    FakeStops();
    void request(); // one Ctrl-C
    int fd() const override { return fd_.get(); }
    bool take() override;

private:
    UniqueFd fd_;
};

} // namespace uk::test
