#include "settings/settings.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace uk::settings {
namespace {

Error bad(std::string message) { return Error{ErrorKind::usage, std::move(message)}; }

std::optional<std::uint16_t> port_number(std::string_view text)
{
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

} // namespace

Result<MemorySize> parse_memory_size(std::string_view text)
{
    auto expected = [&] { return fail(bad(fmt::format("expected a size like \"128M\" or \"1G\", got \"{}\"", text))); };
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end == text.data() || value > (std::uint64_t{1} << 40))
        return expected();
    std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    if (unit.empty() || unit == "M" || unit == "m")
        return MemorySize{value};
    if (unit == "G" || unit == "g")
        return MemorySize{value * 1024};
    if (unit == "K" || unit == "k") {
        if (value % 1024 != 0)
            return fail(bad(fmt::format("expected a whole number of MiB, got \"{}\"", text)));
        return MemorySize{value / 1024};
    }
    return expected();
}

std::string MemorySize::to_string() const
{
    return mib % 1024 == 0 && mib > 0 ? fmt::format("{}G", mib / 1024) : fmt::format("{}M", mib);
}

Result<CpuCount> parse_cpu_count(long long value)
{
    if (value < 1 || value > maximum_cpus)
        return fail(bad(fmt::format("expected 1 to {} CPUs, got {}", maximum_cpus, value)));
    return CpuCount{static_cast<unsigned>(value)};
}

Result<PortMapping> parse_port_mapping(std::string_view spec)
{
    auto wrong = [&](const std::string& why) {
        return fail(bad(fmt::format("{}; expected [IP:]HOST[:GUEST][/tcp|/udp], e.g. 8080 or 8080:80", why)));
    };
    PortMapping mapping;
    std::string_view rest = spec;
    if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
        auto protocol = rest.substr(slash + 1);
        if (protocol == "udp")
            mapping.protocol = Protocol::udp;
        else if (protocol != "tcp")
            return wrong(fmt::format("unknown protocol \"{}\"", protocol));
        rest = rest.substr(0, slash);
    }
    std::vector<std::string_view> parts;
    for (;;) {
        auto colon = rest.find(':');
        parts.push_back(rest.substr(0, colon));
        if (colon == std::string_view::npos)
            break;
        rest.remove_prefix(colon + 1);
    }
    if (parts.size() > 3)
        return wrong(fmt::format("\"{}\" has too many ':'", spec));
    if (parts.size() == 3 || (parts.size() == 2 && parts[0].find('.') != std::string_view::npos)) {
        in_addr address{};
        if (inet_pton(AF_INET, std::string(parts[0]).c_str(), &address) != 1)
            return wrong(fmt::format("\"{}\" is not an IPv4 address", parts[0]));
        mapping.host_address = parts[0];
        parts.erase(parts.begin());
    }
    auto host = port_number(parts[0]);
    if (!host)
        return wrong(fmt::format("\"{}\" is not a port from 1 to 65535", parts[0]));
    mapping.host_port = *host;
    mapping.guest_port = *host;
    if (parts.size() == 2) {
        auto guest = port_number(parts[1]);
        if (!guest)
            return wrong(fmt::format("\"{}\" is not a port from 1 to 65535", parts[1]));
        mapping.guest_port = *guest;
    }
    return mapping;
}

std::string PortMapping::to_string() const
{
    return fmt::format("{}:{}->{}/{}", host_address, host_port, guest_port, protocol == Protocol::tcp ? "tcp" : "udp");
}

Result<MountSpec> parse_mount_spec(std::string_view spec)
{
    auto wrong = [&](const std::string& why) {
        return fail(bad(fmt::format("{}; expected NAME:/path or /host/folder:/path, with :ro to mount read-only", why)));
    };
    std::vector<std::string_view> parts;
    for (std::string_view rest = spec;;) {
        auto colon = rest.find(':');
        parts.push_back(rest.substr(0, colon));
        if (colon == std::string_view::npos)
            break;
        rest.remove_prefix(colon + 1);
    }
    if (parts.size() < 2)
        return wrong(fmt::format("\"{}\" has no ':' between what to mount and where", spec));
    if (parts.size() > 3)
        return wrong(fmt::format("\"{}\" has too many ':'", spec));
    MountSpec mount;
    if (parts.size() == 3) {
        if (parts[2] != "ro" && parts[2] != "rw")
            return wrong(fmt::format("unknown option \"{}\" (ro or rw)", parts[2]));
        mount.read_only = parts[2] == "ro";
    }
    if (parts[0].empty())
        return wrong("nothing to mount before the ':'");
    mount.source = parts[0];
    if (parts[0].starts_with('/') || parts[0].starts_with('.'))
        mount.source_kind = MountSpec::Source::host_folder;
    else if (parts[0].find('/') != std::string_view::npos)
        return wrong(fmt::format("\"{}\" is neither a volume name nor a host folder (host folders start with / or .)",
                                 parts[0]));
    auto target = parts[1];
    if (!target.starts_with('/'))
        return wrong(fmt::format("the guest path \"{}\" is not absolute", target));
    std::string normal = "/";
    for (std::string_view rest = target; !rest.empty();) {
        auto slash = rest.find('/');
        auto component = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (component.empty() || component == ".")
            continue;
        if (component == "..")
            return wrong(fmt::format("the guest path \"{}\" has a \"..\"", target));
        normal += (normal.size() > 1 ? "/" : "") + std::string(component);
    }
    if (normal == "/")
        return wrong("the guest path cannot be \"/\", the image's own root");
    for (std::string_view system : {"/proc", "/sys", "/dev"})
        if (normal == system || normal.starts_with(std::string(system) + "/"))
            return wrong(fmt::format("the guest path \"{}\" is inside {}, which the guest's kernel provides", target,
                                     system));
    mount.target = normal;
    return mount;
}

std::string MountSpec::to_string() const { return source + ":" + target + (read_only ? ":ro" : ""); }

Result<Compression> parse_compression(std::string_view text)
{
    for (auto c : {Compression::automatic, Compression::zstd, Compression::lz4, Compression::none})
        if (text == to_string(c))
            return c;
    return fail(bad(fmt::format("expected \"auto\", \"zstd\", \"lz4\" or \"none\", got \"{}\"", text)));
}

std::string to_string(Compression compression)
{
    switch (compression) {
    case Compression::automatic: return "auto";
    case Compression::zstd: return "zstd";
    case Compression::lz4: return "lz4";
    case Compression::none: return "none";
    }
    return "?";
}

Result<RootFs> parse_root_fs(std::string_view text)
{
    for (auto f : {RootFs::squashfs, RootFs::erofs})
        if (text == to_string(f))
            return f;
    return fail(bad(fmt::format("expected \"squashfs\" or \"erofs\", got \"{}\"", text)));
}

std::string to_string(RootFs root_fs) { return root_fs == RootFs::erofs ? "erofs" : "squashfs"; }

Result<Arch> parse_arch(std::string_view text)
{
    if (text == "amd64" || text == "x86_64" || text == "x86-64")
        return Arch::amd64;
    if (text == "arm64" || text == "aarch64")
        return Arch::arm64;
    return fail(bad(fmt::format("expected \"amd64\" or \"arm64\", got \"{}\"", text)));
}

Result<AcceleratorChoice> parse_accelerator_choice(std::string_view text)
{
    for (auto c : {AcceleratorChoice::automatic, AcceleratorChoice::kvm, AcceleratorChoice::tcg})
        if (text == to_string(c))
            return c;
    return fail(bad(fmt::format("expected \"auto\", \"kvm\" or \"tcg\", got \"{}\"", text)));
}

std::string to_string(AcceleratorChoice choice)
{
    switch (choice) {
    case AcceleratorChoice::automatic: return "auto";
    case AcceleratorChoice::kvm: return "kvm";
    case AcceleratorChoice::tcg: return "tcg";
    }
    return "?";
}

Result<RestartPolicy> parse_restart_policy(std::string_view text)
{
    using When = RestartPolicy::When;
    if (text == "no")
        return RestartPolicy{};
    if (text == "always")
        return RestartPolicy{When::always, std::nullopt};
    if (text == "unless-stopped")
        return RestartPolicy{When::unless_stopped, std::nullopt};
    constexpr std::string_view on_failure = "on-failure";
    if (text == on_failure)
        return RestartPolicy{When::on_failure, std::nullopt};
    if (text.starts_with(on_failure) && text.size() > on_failure.size() && text[on_failure.size()] == ':') {
        auto count = text.substr(on_failure.size() + 1);
        unsigned value = 0;
        auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), value);
        if (error == std::errc{} && end == count.data() + count.size() && !count.empty() && value <= 1000000)
            return RestartPolicy{When::on_failure, value};
        return fail(bad(fmt::format("on-failure:{}: expected a whole number of restarts after the colon", count)));
    }
    return fail(bad(fmt::format("expected \"no\", \"on-failure[:MAX]\", \"always\" or \"unless-stopped\", got \"{}\"",
                                text)));
}

std::string to_string(const RestartPolicy& policy)
{
    switch (policy.when) {
    case RestartPolicy::When::no: return "no";
    case RestartPolicy::When::always: return "always";
    case RestartPolicy::When::unless_stopped: return "unless-stopped";
    case RestartPolicy::When::on_failure:
        return policy.max_restarts ? fmt::format("on-failure:{}", *policy.max_restarts) : "on-failure";
    }
    return "?";
}

Result<BootMode> parse_boot_mode(std::string_view text)
{
    if (text == "direct")
        return BootMode::direct;
    if (text == "firmware")
        return BootMode::firmware;
    return fail(bad(fmt::format("expected \"direct\" or \"firmware\", got \"{}\"", text)));
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text)
{
    auto expected = [&] { return fail(bad(fmt::format("expected a duration like 10s, 500ms or 2m, got \"{}\"", text))); };
    std::size_t digits = 0;
    while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
        digits++;
    if (digits == 0 || digits > 12)
        return expected();
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + digits, value);
    if (error != std::errc{} || end != text.data() + digits)
        return expected();
    auto unit = text.substr(digits);
    double scale = 0;
    if (unit.empty() || unit == "s")
        scale = 1000;
    else if (unit == "ms")
        scale = 1;
    else if (unit == "m")
        scale = 60'000;
    else if (unit == "h")
        scale = 3'600'000;
    else
        return expected();
    return std::chrono::milliseconds(static_cast<long long>(value * scale));
}

std::vector<std::string> split_strace_options(std::string_view text)
{
    // A piece starts a new word when it is an option or follows one; else it is more of
    // the value before it.
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        auto piece = std::string(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (!piece.empty()) {
            if (words.empty() || piece.starts_with("-") || words.back().starts_with("-"))
                words.push_back(piece);
            else
                words.back() += "," + piece;
        }
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return words;
}

} // namespace uk::settings
