#include "hypervisor/kvm_probe.hpp"

#include "core/files.hpp"
#include "core/process.hpp"
#include "hypervisor/guest_watch.hpp"
#include "hypervisor/kernel_args.hpp"

#include <cerrno>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace uk::hypervisor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view passed_line = "uk-init: probe passed";
constexpr std::string_view panic_marker = "Kernel panic - not syncing";

std::chrono::milliseconds since(Clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// Reads what is there; false at the end of the stream.
bool drain(int fd, std::string& into)
{
    char buffer[4096];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
        if (into.size() < 256 * 1024)
            into.append(buffer, static_cast<std::size_t>(n));
        return true;
    }
    return n < 0 && errno == EINTR;
}

std::string panic_in(const std::string& console)
{
    auto at = console.find(panic_marker);
    if (at == std::string::npos)
        return {};
    auto end = console.find('\n', at);
    auto line = console.substr(at, end == std::string::npos ? std::string::npos : end - at);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
    return line;
}

} // namespace

KvmProbe probe_kvm(const KvmProbeRequest& request)
{
    auto start = Clock::now();
    auto failed = [&](std::string reason) { return KvmProbe{false, std::move(reason), since(start), false}; };
    auto watch = GuestWatch::create();
    if (!watch)
        return failed(watch.error().message);
    GuestBoot boot{.machine = request.machine,
                   .accelerator = Accelerator::kvm,
                   .root_device = "/dev/vda",
                   .probe = true};
    QemuConfig config{
        .binary = request.qemu,
        .machine = request.machine,
        .accelerator = Accelerator::kvm,
        .memory_mib = 64,
        .cpus = 1,
        .kernel = request.guest.kernel,
        .kernel_args = guest_kernel_args(boot),
        .drives = {{.file = request.guest.root, .read_only = true}},
        .network = NoNetwork{},
        .watch_fd = watch->qemu_end(),
    };
    auto qemu = Process::spawn({.argv = qemu_argv(config),
                                .stdin_stream = DevNull{},
                                .stdout_stream = Pipe{},
                                .stderr_stream = Pipe{},
                                .inherited_fds = {watch->qemu_end()}});
    watch->close_qemu_end();
    if (!qemu)
        return failed(qemu.error().message);

    std::string console, errors;
    bool console_open = true, errors_open = true;
    auto deadline = start + request.timeout;
    std::optional<KvmProbe> verdict;
    while (!verdict) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            verdict = failed(fmt::format("the guest did not reach user space within {} s under KVM",
                                         static_cast<double>(request.timeout.count()) / 1000.0));
            break;
        }
        pollfd fds[3] = {{console_open ? qemu->stdout_fd() : -1, POLLIN, 0},
                         {errors_open ? qemu->stderr_fd() : -1, POLLIN, 0},
                         {watch->closed() ? -1 : watch->fd(), POLLIN, 0}};
        if (!console_open && !errors_open && watch->closed()) {
            // QEMU is gone: its pipes and its monitor closed.
            auto status = qemu->wait();
            auto said = qemu_reason(errors);
            verdict = failed(!said.empty() ? fmt::format("QEMU reported \"{}\"", said)
                                           : fmt::format("QEMU exited with status {} before the guest reached user space",
                                                         status));
            break;
        }
        if (::poll(fds, 3, static_cast<int>(std::min<long long>(left, 100))) < 0 && errno != EINTR) {
            verdict = failed("cannot wait for QEMU");
            break;
        }
        if (fds[0].revents)
            console_open = drain(qemu->stdout_fd(), console);
        if (fds[1].revents)
            errors_open = drain(qemu->stderr_fd(), errors);
        if (console.find(passed_line) != std::string::npos) {
            verdict = KvmProbe{true, {}, since(start), false};
        } else if (auto panic = panic_in(console); !panic.empty()) {
            verdict = failed(fmt::format("the guest kernel panicked under KVM (\"{}\")", panic));
        } else if (fds[2].revents) {
            if (auto stopped = watch->on_readable()) {
                // What QEMU printed comes before the stop it reports; take the rest of it.
                while (errors_open && ::poll(&fds[1], 1, 50) > 0)
                    errors_open = drain(qemu->stderr_fd(), errors);
                auto said = qemu_reason(errors);
                verdict = failed(said.empty() ? fmt::format("QEMU stopped the guest ({})", stopped->status)
                                              : fmt::format("QEMU stopped the guest and reported \"{}\"", said));
            }
        }
    }
    qemu->kill();
    return *verdict;
}

std::string kvm_probe_key(const KvmProbeRequest& request, const std::filesystem::path& kvm_device,
                          const std::filesystem::path& boot_id)
{
    auto boot = read_file(boot_id).value_or("");
    while (!boot.empty() && boot.back() == '\n')
        boot.pop_back();
    struct stat kvm{};
    (void)::stat(kvm_device.c_str(), &kvm);
    return fmt::format("boot={} qemu={} kernel={} kvm={}:{}:{} machine={}", boot, file_identity(request.qemu),
                       request.guest.kernel_sha256, kvm.st_rdev, kvm.st_dev, kvm.st_ino,
                       request.machine == Machine::microvm ? "microvm" : "q35");
}

std::optional<KvmProbe> cached_kvm_probe(const std::filesystem::path& cache_file, const std::string& key)
{
    auto text = read_file(cache_file);
    if (!text)
        return std::nullopt;
    auto json = nlohmann::json::parse(*text, nullptr, false);
    if (!json.is_object() || !json.contains(key) || !json[key].is_object())
        return std::nullopt;
    const auto& entry = json[key];
    if (!entry.contains("boots") || !entry["boots"].is_boolean())
        return std::nullopt;
    return KvmProbe{entry["boots"].get<bool>(), entry.value("reason", std::string()),
                    std::chrono::milliseconds(entry.value("took_ms", 0)), true};
}

void keep_kvm_probe(const std::filesystem::path& cache_file, const std::string& key, const KvmProbe& probe)
{
    // One entry per machine type; an entry from an earlier boot of the host is dropped.
    auto json = nlohmann::json::parse(read_file(cache_file).value_or("{}"), nullptr, false);
    if (!json.is_object())
        json = nlohmann::json::object();
    auto this_boot = key.substr(0, key.find(' '));
    for (auto it = json.begin(); it != json.end();)
        it = it.key().starts_with(this_boot + " ") ? std::next(it) : json.erase(it);
    json[key] = {{"boots", probe.boots}, {"reason", probe.reason}, {"took_ms", probe.took.count()}};
    std::error_code ec;
    std::filesystem::create_directories(cache_file.parent_path(), ec);
    (void)write_file_atomically(cache_file, as_bytes(json.dump(2) + "\n"));
}

} // namespace uk::hypervisor
