// The use cases of src/app against the fake backend (support/fake_backend.hpp): runs,
// stops and detached starts, with no hypervisor and no guest.
#include "app/attached.hpp"
#include "app/detached.hpp"
#include "app/stop.hpp"
#include "core/files.hpp"
#include "support/fake_backend.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using uk::test::FakeBackend;
using uk::test::FakeStep;
using uk::test::FakeStops;

namespace {

// An instance store with one instance's folder and record, as uk run makes them.
struct Instance {
    uk::test::TempDir dir;
    uk::instance::Store store{dir / "instances"};
    uk::instance::Record record;
    uk::vm::VmSpec spec;

    explicit Instance(bool detached = false, uk::vm::Accelerator accelerator = uk::vm::Accelerator::tcg)
    {
        REQUIRE(store.create("box"));
        record = {.name = "box", .image = "/images/box.img", .created = uk::instance::utc_now(), .detached = detached,
                  .accelerator = accelerator == uk::vm::Accelerator::kvm ? "kvm" : "tcg", .network = "user"};
        REQUIRE(store.save(record));
        spec.accelerator = accelerator;
        spec.control_socket = store.files("box").qmp_socket();
    }
    uk::instance::Files files() const { return store.files("box"); }
};

class Seen final : public uk::app::AttachedView {
public:
    void started(int pid) override { started_pid = pid; }
    void console_line(std::string_view line) override { lines.emplace_back(line); }
    void stopping(bool forced) override { stops.push_back(forced); }
    int started_pid = -1;
    std::vector<std::string> lines;
    std::vector<bool> stops;
};

// Runs the monitor in a thread of this process, as `uk instance monitor` would in its own.
// The launcher keeps it until the test ends, as the real monitor outlives uk run -d.
class ThreadMonitor {
public:
    ThreadMonitor(const uk::instance::Store& store, const std::string& name, uk::vm::Backend& backend)
    {
        int ends[2];
        REQUIRE(::pipe2(ends, O_CLOEXEC) == 0);
        report_.reset(ends[0]);
        thread_ = std::thread([&store, name, &backend, write_end = ends[1], this] {
            uk::app::monitor(store, uk::volume::Store("/nonexistent/volumes"), name, backend, write_end, stops_);
            done_ = true;
        });
    }
    ~ThreadMonitor()
    {
        stop();
        if (thread_.joinable())
            thread_.join();
    }
    int report_fd() const { return report_.get(); }
    bool wait_end(std::chrono::milliseconds timeout)
    {
        for (auto until = std::chrono::steady_clock::now() + timeout; !done_;) {
            if (std::chrono::steady_clock::now() >= until)
                return false;
            std::this_thread::sleep_for(10ms);
        }
        return true;
    }
    void stop() { stops_.request(), stops_.request(); }

private:
    uk::UniqueFd report_;
    FakeStops stops_;
    std::atomic<bool> done_ = false;
    std::thread thread_;
};

// What start_detached holds: a view of a monitor the launcher owns.
class ThreadMonitorHandle final : public uk::app::LaunchedMonitor {
public:
    explicit ThreadMonitorHandle(ThreadMonitor& monitor) : monitor_(monitor) {}
    int report_fd() const override { return monitor_.report_fd(); }
    bool wait_end(std::chrono::milliseconds timeout) override { return monitor_.wait_end(timeout); }
    void kill() override { monitor_.stop(); }
    void release() override {}

private:
    ThreadMonitor& monitor_;
};

class ThreadLauncher final : public uk::app::MonitorLauncher {
public:
    ThreadLauncher(const uk::instance::Store& store, uk::vm::Backend& backend) : store_(store), backend_(backend) {}
    uk::Result<std::unique_ptr<uk::app::LaunchedMonitor>> launch(const uk::instance::Files&,
                                                                 const std::string& name) override
    {
        monitors.push_back(std::make_unique<ThreadMonitor>(store_, name, backend_));
        return std::unique_ptr<uk::app::LaunchedMonitor>(std::make_unique<ThreadMonitorHandle>(*monitors.back()));
    }
    std::vector<std::unique_ptr<ThreadMonitor>> monitors;

private:
    const uk::instance::Store& store_;
    uk::vm::Backend& backend_;
};

} // namespace

TEST_CASE("use case: an attached run shows the console and gives back the program's status", "[unit][app]")
{
    Instance instance;
    FakeBackend backend;
    backend.script = {FakeStep::running(), FakeStep::console("hello\nuk-init: exit status 3\n"), FakeStep::end()};
    Seen seen;
    FakeStops stops;
    auto status = uk::app::run_attached(instance.store, instance.record, instance.spec, backend, seen, stops);
    REQUIRE(status);
    CHECK(*status == 3);
    CHECK(seen.started_pid > 0);
    CHECK(seen.lines == std::vector<std::string>{"hello", "uk-init: exit status 3"});
    CHECK_FALSE(instance.store.exists("box")); // an attached run leaves nothing behind
}

TEST_CASE("use case: a guest the hypervisor stops ends the run at once, KVM's failure as the host's", "[unit][app]")
{
    Instance instance(false, uk::vm::Accelerator::kvm);
    FakeBackend backend;
    backend.script = {FakeStep::running(), FakeStep::stopped("internal-error")};
    backend.diagnostics = "KVM internal error. Suberror: 1 (emulation failure)";
    Seen seen;
    FakeStops stops;
    auto status = uk::app::run_attached(instance.store, instance.record, instance.spec, backend, seen, stops);
    REQUIRE_FALSE(status);
    CHECK(status.error().kind == uk::ErrorKind::unavailable);
    CHECK(status.error().message == "KVM on this host cannot run uk's guest: Fake stopped it and reported \"KVM internal "
                                    "error. Suberror: 1 (emulation failure)\"; run with --accel tcg, and see 'uk "
                                    "doctor'");
    CHECK(backend.log->kills == 1);
}

TEST_CASE("use case: a guest panic the hypervisor holds keeps the instance, listed as failed", "[unit][app]")
{
    Instance instance;
    FakeBackend backend;
    backend.script = {FakeStep::running(), FakeStep::stopped("guest-panicked")};
    Seen seen;
    FakeStops stops;
    auto status = uk::app::run_attached(instance.store, instance.record, instance.spec, backend, seen, stops);
    REQUIRE_FALSE(status);
    CHECK(status.error().kind == uk::ErrorKind::guest_failed);
    REQUIRE(instance.store.exists("box"));
    auto listed = instance.store.load("box");
    REQUIRE(listed);
    CHECK(uk::instance::status_of(*listed, instance.files()).state == uk::instance::State::failed);
}

TEST_CASE("use case: Ctrl-C presses the power button, a second Ctrl-C kills the VM", "[unit][app]")
{
    Instance instance;
    FakeBackend backend;
    backend.script = {FakeStep::running(), FakeStep::console("serving\n")}; // then it runs until stopped
    backend.obeys_power_button = false;                                       // a program that ignores SIGTERM
    Seen seen;
    FakeStops stops;
    stops.request();
    stops.request();
    auto status = uk::app::run_attached(instance.store, instance.record, instance.spec, backend, seen, stops);
    REQUIRE_FALSE(status);
    CHECK(status.error().kind == uk::ErrorKind::interrupted);
    CHECK(seen.stops == std::vector<bool>{false, true});
    CHECK(backend.log->power_button_presses == 1);
    CHECK(backend.log->kills == 1);
}

TEST_CASE("use case: Ctrl-C once lets a program that obeys shut down and report its status", "[unit][app]")
{
    Instance instance;
    FakeBackend backend;
    backend.script = {FakeStep::running(), FakeStep::console("serving\n")};
    Seen seen;
    FakeStops stops;
    stops.request();
    auto status = uk::app::run_attached(instance.store, instance.record, instance.spec, backend, seen, stops);
    REQUIRE(status);
    CHECK(*status == 143);
    CHECK(backend.log->kills == 0);
}

TEST_CASE("use case: stop presses the power button, then kills the VM when it does not go in time", "[unit][app]")
{
    Instance instance(true);
    auto stand_in = uk::test::stand_in_process(instance.spec.control_socket);
    REQUIRE(stand_in);
    instance.record.qemu_pid = stand_in->pid();
    REQUIRE(instance.store.save(instance.record));
    FakeBackend backend; // nothing happens when its power button is pressed
    auto stopped = uk::app::stop(instance.store, instance.record, backend, 300ms);
    REQUIRE(stopped);
    CHECK(stopped->forced);
    CHECK(backend.log->power_button_presses == 1);
    CHECK(stopped->status.state == uk::instance::State::stopped);
    CHECK(instance.store.load("box")->forced);
}

TEST_CASE("use case: stop with a guest that powers off in time does not kill it", "[unit][app]")
{
    Instance instance(true);
    auto stand_in = uk::test::stand_in_process(instance.spec.control_socket);
    REQUIRE(stand_in);
    instance.record.qemu_pid = stand_in->pid();
    REQUIRE(instance.store.save(instance.record));
    FakeBackend backend;
    backend.on_remote_power_button = [&] { stand_in->kill(); };
    auto stopped = uk::app::stop(instance.store, instance.record, backend, 5s);
    REQUIRE(stopped);
    CHECK_FALSE(stopped->forced);
}

TEST_CASE("use case: a detached start returns once the VM runs and its port answers", "[unit][app]")
{
    Instance instance(true);
    FakeBackend backend;
    backend.script = {FakeStep::running(), FakeStep::console("listening\n"), FakeStep::wait(300ms), FakeStep::end()};
    ThreadLauncher launcher(instance.store, backend);
    auto started = uk::app::start_detached(instance.store, instance.record, instance.spec, backend, launcher,
                                           {.ready_port = *uk::settings::parse_port_mapping("8080")});
    REQUIRE(started);
    CHECK(started->qemu_pid > 0); // the monitor recorded its VM
    CHECK(uk::read_file(instance.files().vm_spec())); // what a monitor (or a restart) starts from
    CHECK(launcher.monitors.back()->wait_end(5s));
}

TEST_CASE("use case: a detached start says so when the port does not answer in time, and leaves it running",
          "[unit][app]")
{
    Instance instance(true);
    FakeBackend backend;
    backend.script = {FakeStep::running()};
    backend.readiness = uk::vm::Readiness::timed_out;
    ThreadLauncher launcher(instance.store, backend);
    auto started = uk::app::start_detached(instance.store, instance.record, instance.spec, backend, launcher,
                                           {.ready_port = *uk::settings::parse_port_mapping("8080"),
                                            .ready_timeout = 2s});
    REQUIRE_FALSE(started);
    CHECK(started.error().kind == uk::ErrorKind::unavailable);
    CHECK(started.error().message == "port 8080 did not answer within 2 s; instance box is still running: see uk "
                                     "instance logs box, or stop it with uk instance stop box");
    CHECK(instance.store.exists("box"));
}

TEST_CASE("use case: a detached instance the hypervisor stops before its port answers is an error, and failed",
          "[unit][app]")
{
    Instance instance(true);
    FakeBackend backend;
    backend.script = {FakeStep::running(), FakeStep::wait(100ms), FakeStep::stopped("internal-error")};
    backend.readiness_watches_alive = true;
    ThreadLauncher launcher(instance.store, backend);
    auto started = uk::app::start_detached(instance.store, instance.record, instance.spec, backend, launcher,
                                           {.ready_port = *uk::settings::parse_port_mapping("8080")});
    REQUIRE_FALSE(started);
    CHECK(started.error().kind == uk::ErrorKind::guest_failed);
    CHECK(started.error().message == "instance box failed: Fake stopped the guest with an internal error; console log: " +
                                         instance.files().console_log().string());
    auto record = instance.store.load("box");
    REQUIRE(record);
    CHECK(uk::instance::status_of(*record, instance.files()).state == uk::instance::State::failed);
}

TEST_CASE("use case: a chatty program's console log moves aside when full, so it never grows without end",
          "[unit][app]")
{
    Instance instance;
    FakeBackend backend;
    std::string chunk(600, 'x');
    chunk.back() = '\n';
    backend.script = {FakeStep::running(), FakeStep::console(chunk), FakeStep::console(chunk),
                      FakeStep::console(chunk), FakeStep::console("uk-init: exit status 0\n"), FakeStep::end()};
    auto machine = backend.start(instance.spec, {});
    REQUIRE(machine);
    Seen seen;
    FakeStops stops;
    auto log = instance.files().console_log();
    auto outcome = uk::app::supervise(**machine, {.console_log = log, .console_log_limit = 1000}, seen, stops);
    REQUIRE(outcome);
    CHECK(outcome->program_status == 0);
    auto older = log;
    older += ".1";
    CHECK(std::filesystem::file_size(older) == 600);
    CHECK(std::filesystem::file_size(log) == 600 + std::string("uk-init: exit status 0\n").size());
}

TEST_CASE("use case: under on-failure:2 a program that exits 3 runs 3 times, and the record says restarts 2",
          "[unit][app]")
{
    Instance instance(true);
    instance.record.restart = *uk::settings::parse_restart_policy("on-failure:2");
    REQUIRE(instance.store.save(instance.record));
    FakeBackend backend;
    backend.script = {FakeStep::running(), FakeStep::console("working\nuk-init: exit status 3\n"), FakeStep::end()};
    ThreadLauncher launcher(instance.store, backend);
    auto started = uk::app::start_detached(instance.store, instance.record, instance.spec, backend, launcher, {});
    REQUIRE(started);
    REQUIRE(launcher.monitors.back()->wait_end(10s));
    CHECK(backend.log->started == 3);
    auto record = instance.store.load("box");
    REQUIRE(record);
    CHECK(record->restarts == 2);
    CHECK(record->last_exit_status == 3);
    auto status = uk::instance::status_of(*record, instance.files());
    CHECK(status.state == uk::instance::State::exited);
    CHECK(status.exit_status == 3);
    auto log = uk::read_file(instance.files().console_log());
    REQUIRE(log);
    CHECK(log->find("working\nuk-init: exit status 3\nuk: restart 1 after exit status 3 (waited 0.1 s)\nworking\n") !=
          std::string::npos);
    CHECK(log->find("uk: restart 2 after exit status 3 (waited 0.2 s)\n") != std::string::npos);
    CHECK(log->find("uk: restart 3") == std::string::npos);
}

TEST_CASE("use case: on-failure leaves a program that exits 0 ended", "[unit][app]")
{
    Instance instance(true);
    instance.record.restart = *uk::settings::parse_restart_policy("on-failure");
    REQUIRE(instance.store.save(instance.record));
    FakeBackend backend;
    ThreadLauncher launcher(instance.store, backend);
    REQUIRE(uk::app::start_detached(instance.store, instance.record, instance.spec, backend, launcher, {}));
    REQUIRE(launcher.monitors.back()->wait_end(10s));
    CHECK(backend.log->started == 1);
    CHECK(instance.store.load("box")->restarts == 0);
}

TEST_CASE("use case: under always a guest that dies comes back until a stop ends the policy", "[unit][app]")
{
    Instance instance(true);
    instance.record.restart = *uk::settings::parse_restart_policy("always");
    REQUIRE(instance.store.save(instance.record));
    FakeBackend backend;
    // No status line: the hypervisor went away (killed, say).
    backend.script = {FakeStep::running(), FakeStep::wait(50ms), FakeStep::end(137)};
    ThreadLauncher launcher(instance.store, backend);
    REQUIRE(uk::app::start_detached(instance.store, instance.record, instance.spec, backend, launcher, {}));
    for (auto until = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < until && instance.store.load("box")->restarts < 2;)
        std::this_thread::sleep_for(10ms);
    CHECK(instance.store.load("box")->restarts >= 2);
    launcher.monitors.back()->stop();
    REQUIRE(launcher.monitors.back()->wait_end(10s));
    auto started = backend.log->started;
    std::this_thread::sleep_for(500ms);
    CHECK(backend.log->started == started); // nothing starts after the stop
    CHECK(instance.store.load("box")->last_exit_status == std::nullopt);
}

TEST_CASE("use case: a program the guest's kernel killed for memory keeps its status 137, and the user is told why",
          "[unit][app]")
{
    Instance instance;
    instance.record.memory_mib = 32;
    FakeBackend backend;
    backend.script = {FakeStep::running(),
                      FakeStep::console("Out of memory: Killed process 71 (node) total-vm:614532kB, anon-rss:20480kB, "
                                        "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:264kB oom_score_adj:0\n"
                                        "uk-init: exit status 137\n"),
                      FakeStep::end()};
    class Told final : public uk::app::AttachedView {
    public:
        void out_of_memory(const std::string& message) override { said = message; }
        std::string said;
    } told;
    FakeStops stops;
    auto status = uk::app::run_attached(instance.store, instance.record, instance.spec, backend, told, stops);
    REQUIRE(status);
    CHECK(*status == 137);
    CHECK(told.said == "the guest's 32M of memory ran out and its kernel killed node (which held 20M of its own): give "
                       "the VM more with --mem, e.g. --mem 48M");

    // A detached one says so in its status.
    REQUIRE(instance.store.create("box"));
    uk::test::write_text(instance.files().console_log(),
                         "Out of memory: Killed process 71 (node) total-vm:1kB, anon-rss:1kB, file-rss:0kB\n"
                         "uk-init: exit status 137\n");
    auto status_now = uk::instance::status_of(instance.record, instance.files());
    CHECK(uk::instance::describe(status_now) == "exited (137, out of memory)");
    CHECK(uk::instance::to_json(instance.record, status_now, instance.files())["out_of_memory"] == "node");
}

TEST_CASE("use case: a guest too small for its own kernel is told to take more memory", "[unit][app]")
{
    Instance instance;
    FakeBackend backend;
    backend.script = {FakeStep::running(), FakeStep::console("Kernel panic - not syncing: System is deadlocked on memory\n"),
                      FakeStep::end()};
    Seen seen;
    FakeStops stops;
    auto status = uk::app::run_attached(instance.store, instance.record, instance.spec, backend, seen, stops);
    REQUIRE_FALSE(status);
    CHECK(status.error().kind == uk::ErrorKind::guest_failed);
    CHECK(status.error().message.starts_with("the guest ran out of memory before its program could run (the kernel "
                                             "found nothing left to free): give the VM more with --mem; console log: "));
}
