// Settings typed once. The flag parser and the config reader both turn text into these
// types, so a value is checked in one place and nothing downstream parses it again. A
// parse error's message says what was expected and what was given, never where the text
// came from: the caller puts "--mem: " or "uk.json:3:15: RunConfig.Memory: " in front.
#pragma once

#include "core/arch.hpp"
#include "core/error.hpp"

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uk::settings {

// Guest memory in MiB: "128M", "1G", "512m", "2048" (MiB, as QEMU reads a bare number),
// "65536K". Binary units.
struct MemorySize {
    std::uint64_t mib = 0;
    std::string to_string() const; // "128M", "1G"
    auto operator<=>(const MemorySize&) const = default;
};
Result<MemorySize> parse_memory_size(std::string_view text);

// Virtual CPUs: 1 to the guest kernel's NR_CPUS.
inline constexpr unsigned maximum_cpus = 64;
struct CpuCount {
    unsigned value = 1;
    auto operator<=>(const CpuCount&) const = default;
};
Result<CpuCount> parse_cpu_count(long long value);

enum class Protocol { tcp, udp };

// A published port, docker's way: [IP:]HOST[:GUEST][/tcp|/udp], on 127.0.0.1 unless an
// address is given, the guest port equal to the host port unless given.
struct PortMapping {
    Protocol protocol = Protocol::tcp;
    std::string host_address = "127.0.0.1";
    std::uint16_t host_port = 0;
    std::uint16_t guest_port = 0;
    std::string to_string() const; // "127.0.0.1:8080->80/tcp", as uk ps shows it
    bool operator==(const PortMapping&) const = default;
};
Result<PortMapping> parse_port_mapping(std::string_view spec);

// A mount, docker's way: SOURCE:TARGET[:ro|:rw]. SOURCE is a volume's name, or a host
// folder when it starts with '/' or '.' (relative ones are resolved by whoever knows from
// where: the working folder for a flag, the config file's folder for the file). TARGET is
// an absolute guest path other than "/", written back normalised ("/data/" is "/data").
struct MountSpec {
    enum class Source { volume, host_folder };
    Source source_kind = Source::volume;
    std::string source;
    std::string target;
    bool read_only = false;
    std::string to_string() const; // "data:/data", "/srv/www:/www:ro"
    bool operator==(const MountSpec&) const = default;
};
Result<MountSpec> parse_mount_spec(std::string_view spec);

// How an image's root stores file data (image/squashfs.hpp says what auto becomes).
enum class Compression { automatic, zstd, lz4, none };
Result<Compression> parse_compression(std::string_view text);
std::string to_string(Compression compression);

// The root's file system. squashfs: compressed, read into the guest's page cache;
// erofs: uncompressed, read in place (DAX) from the host's mapping of the image on direct
// boot, so the program's code takes no guest memory (docs/decisions.md).
enum class RootFs { squashfs, erofs };
Result<RootFs> parse_root_fs(std::string_view text);
std::string to_string(RootFs root_fs);

// The guest's architecture, said (--arch, "Arch"): amd64 or arm64, also x86_64 and aarch64.
Result<Arch> parse_arch(std::string_view text);

enum class AcceleratorChoice { automatic, kvm, tcg };
Result<AcceleratorChoice> parse_accelerator_choice(std::string_view text);
std::string to_string(AcceleratorChoice choice);

// direct: uk's kernel straight into a microvm; firmware: the image's own boot loader.
enum class BootMode { direct, firmware };
Result<BootMode> parse_boot_mode(std::string_view text);

// What a detached instance's monitor does when its program exits or its guest dies, in
// Docker's words: no; on-failure[:MAX] (a non-zero exit status or a dead guest, at most
// MAX restarts when given); always; unless-stopped (the same as always in uk, which has
// no daemon whose restart could tell them apart). A stop ends every policy.
struct RestartPolicy {
    enum class When { no, on_failure, always, unless_stopped };
    When when = When::no;
    std::optional<unsigned> max_restarts; // on-failure:MAX
    bool operator==(const RestartPolicy&) const = default;
};
Result<RestartPolicy> parse_restart_policy(std::string_view text);
std::string to_string(const RestartPolicy& policy);

// "10s", "500ms", "2m", "1h", "1.5s", or a bare number of seconds.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// --strace=OPTS: strace's words, comma-separated; a value keeps its own commas (in
// "-e,trace=openat,close" only "-e" is an option, so "trace=openat,close" is one word).
std::vector<std::string> split_strace_options(std::string_view text);

} // namespace uk::settings
