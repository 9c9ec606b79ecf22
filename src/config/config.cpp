#include "config/config.hpp"

#include "config/suggest.hpp"
#include "core/files.hpp"
#include "json/json_document.hpp"

#include <arpa/inet.h>
#include <functional>
#include <map>
#include <set>

namespace uk::config {
namespace {

using json::JsonDocument;
using json::JsonNode;

using Handler = std::function<Status(const JsonNode&)>;

// ops fields that mean something to ops or Nanos only. Present and set, each earns a
// warning that it is ignored; left at their zero value, nothing.
const std::set<std::string> ops_only_fields = {
    "DisableArgsCopy", "Boot",        "UefiBoot",       "BuildDir",    "Debugflags",         "Force",
    "NanosVersion",    "NightlyBuild", "NoTrace",       "ManifestPassthrough", "ProgramPath",
    "TargetRoot",      "VolumesDir",  "PackageBaseURL", "PackageManifestURL", "Klibs",      "KlibDir",
    "Uefi",            "CloudConfig",
};
// Descriptions: read and kept silent.
const std::set<std::string> descriptive_fields = {"Version", "Language", "Runtime", "Description"};
const std::set<std::string> ops_only_run_fields = {
    "Debug",     "InstanceGroup", "Klibs", "Vga",  "ShowDebug",
    "ShowErrors", "ShowWarnings", "JSON",       "VolumeSizeInGb", "QMP",
};

// Reads values of one file, each kind with its own checks, and says where a mistake is.
class Reader {
public:
    Reader(Config& config, std::string file_name) : config_(config), file_(std::move(file_name)) {}

    // "FILE:LINE:COL: PATH: what", without the path for the document itself.
    Error at(const JsonNode& node, const std::string& what) const { return at(node.position(), node.path(), what); }
    Error at(json::Position p, const std::string& path, const std::string& what) const
    {
        return Error{ErrorKind::invalid_input, fmt::format("{}:{}:{}: {}{}", file_, p.line, p.column,
                                                           path.empty() ? "" : path + ": ", what)};
    }

    Error wrong_type(const JsonNode& node, const std::string& expected) const
    {
        return at(node, fmt::format("expected {}, got {}", expected, node.type_name()));
    }

    // A value typed by one of settings' parsers, whose message gets this node's position.
    template <class T, class Parse>
    Result<T> typed(const JsonNode& node, const std::string& expected, Parse parse) const
    {
        auto value = text(node, expected);
        if (!value)
            return fail(value.error());
        auto parsed = parse(*value);
        if (!parsed)
            return fail(at(node, parsed.error().message));
        return *parsed;
    }

    Result<std::string> text(const JsonNode& node, const std::string& expected = "a string") const
    {
        if (!node.is_string())
            return fail(wrong_type(node, expected));
        return node.as_string();
    }

    Result<std::string> non_empty_text(const JsonNode& node) const
    {
        auto value = text(node);
        if (value && value->empty())
            return fail(at(node, "must not be empty"));
        return value;
    }

    Result<bool> flag(const JsonNode& node) const
    {
        if (!node.is_bool())
            return fail(wrong_type(node, "true or false"));
        return node.as_bool();
    }

    // Every item of an array, read with `item` (a member function above or a lambda).
    template <class Item>
    auto each(const JsonNode& node, const std::string& expected, Item item) const
        -> Result<std::vector<typename std::invoke_result_t<Item, const JsonNode&>::value_type>>
    {
        if (!node.is_array())
            return fail(wrong_type(node, expected));
        std::vector<typename std::invoke_result_t<Item, const JsonNode&>::value_type> out;
        for (std::size_t i = 0; i < node.size(); i++) {
            auto value = item(node.item(i));
            if (!value)
                return fail(value.error());
            out.push_back(std::move(*value));
        }
        return out;
    }

    Result<std::vector<std::pair<std::string, std::string>>> text_map(const JsonNode& node) const
    {
        if (!node.is_object())
            return fail(wrong_type(node, "an object of strings"));
        std::vector<std::pair<std::string, std::string>> out;
        for (std::size_t i = 0; i < node.size(); i++) {
            auto value = text(node.member(i));
            if (!value)
                return fail(value.error());
            out.emplace_back(node.key(i), *value);
        }
        return out;
    }

    Result<settings::PortMapping> port(const JsonNode& node, bool udp) const
    {
        std::string spec;
        if (node.is_integer())
            spec = std::to_string(node.as_integer());
        else if (node.is_string())
            spec = node.as_string();
        else
            return fail(wrong_type(node, "a port like \"8080\" or \"8080:80\""));
        auto parsed = settings::parse_port_mapping(udp ? spec + "/udp" : spec);
        if (!parsed)
            return fail(at(node, parsed.error().message));
        return *parsed;
    }

    // Each member goes to its handler; unknown names are errors with a suggestion.
    Status object(const JsonNode& node, const std::map<std::string, Handler>& handlers,
                  const std::set<std::string>& ignored, const std::set<std::string>& silent = {})
    {
        if (!node.is_object())
            return fail(wrong_type(node, "an object"));
        for (std::size_t i = 0; i < node.size(); i++) {
            auto name = node.key(i);
            auto member = node.member(i);
            if (auto handler = handlers.find(name); handler != handlers.end()) {
                if (auto handled = handler->second(member); !handled)
                    return handled;
                continue;
            }
            if (silent.contains(name))
                continue;
            if (ignored.contains(name)) {
                if (is_set(member)) {
                    auto p = node.key_position(i);
                    config_.warnings.push_back(fmt::format("{}:{}:{}: {} is an ops setting uk does not use; ignored",
                                                           file_, p.line, p.column, member.path()));
                }
                continue;
            }
            std::vector<std::string> known;
            for (const auto& [field, ignore] : handlers)
                known.push_back(field);
            known.insert(known.end(), ignored.begin(), ignored.end());
            auto suggestion = closest_name(name, known);
            return fail(at(node.key_position(i), member.path(),
                           suggestion ? "unknown field; did you mean " + *suggestion + "?"
                                      : "unknown field (docs/config.md lists them)"));
        }
        return {};
    }

private:
    static bool is_set(const JsonNode& node)
    {
        if (node.is_bool())
            return node.as_bool();
        if (node.is_string())
            return !node.as_string().empty();
        if (node.is_integer())
            return node.as_integer() != 0;
        if (node.is_array() || node.is_object())
            return node.size() > 0;
        return false;
    }

    Config& config_;
    std::string file_;
};

// The one way a field is read: `read` turns the node into a value, which lands in
// `target` (a plain or optional member of the config).
template <class Target, class Read>
Handler bind(Target& target, Read read)
{
    return [&target, read](const JsonNode& node) -> Status {
        auto value = read(node);
        if (!value)
            return fail(value.error());
        target = std::move(*value);
        return {};
    };
}

// Appends instead of assigning: Ports and UDPPorts both fill one list.
template <class Item, class Read>
Handler append_to(std::vector<Item>& target, Read read)
{
    return [&target, read](const JsonNode& node) -> Status {
        auto values = read(node);
        if (!values)
            return fail(values.error());
        target.insert(target.end(), values->begin(), values->end());
        return {};
    };
}

Result<std::string> ip_address(const Reader& reader, const JsonNode& node)
{
    auto value = reader.non_empty_text(node);
    if (!value)
        return value;
    unsigned char address[16];
    if (inet_pton(AF_INET, value->c_str(), address) != 1 && inet_pton(AF_INET6, value->c_str(), address) != 1)
        return fail(reader.at(node, fmt::format("expected an IP address, got \"{}\"", *value)));
    return value;
}

Result<std::string> ipv4_address(const Reader& reader, const JsonNode& node)
{
    auto value = reader.non_empty_text(node);
    in_addr address{};
    if (value && inet_pton(AF_INET, value->c_str(), &address) != 1)
        return fail(reader.at(node, fmt::format("expected an IPv4 address, got \"{}\"", *value)));
    return value;
}

// ops's IPv6Address: an address, with or without a /PREFIX.
Result<std::string> ipv6_address(const Reader& reader, const JsonNode& node)
{
    auto value = reader.non_empty_text(node);
    if (!value)
        return value;
    auto slash = value->find('/');
    in6_addr address{};
    bool good = inet_pton(AF_INET6, value->substr(0, slash).c_str(), &address) == 1;
    if (good && slash != std::string::npos) {
        auto prefix = value->substr(slash + 1);
        good = !prefix.empty() && prefix.size() <= 3 && prefix.find_first_not_of("0123456789") == std::string::npos &&
               std::stoi(prefix) <= 128;
    }
    if (!good)
        return fail(reader.at(node, fmt::format("expected an IPv6 address like \"fd00::2/64\", got \"{}\"", *value)));
    return value;
}

// A mount in -v's form.
Result<settings::MountSpec> mount_spec(const Reader& reader, const JsonNode& node, const std::string& spec)
{
    auto mount = settings::parse_mount_spec(spec);
    if (!mount)
        return fail(reader.at(node, mount.error().message));
    return mount;
}

Result<std::vector<settings::MountSpec>> mount_list(const Reader& reader, const JsonNode& node)
{
    return reader.each(node, "an array like [\"data:/data\"]", [&](const JsonNode& item) -> Result<settings::MountSpec> {
        auto text = reader.text(item, "a mount like \"data:/data\"");
        if (!text)
            return fail(text.error());
        return mount_spec(reader, item, *text);
    });
}

// The position of a member's key, for a warning about it.
std::optional<json::Position> key_position(const JsonNode& object, const std::string& name)
{
    for (std::size_t i = 0; i < object.size(); i++)
        if (object.key(i) == name)
            return object.key_position(i);
    return std::nullopt;
}

// What ops's network fields add up to. ops puts a guest on a bridge with Bridged (its
// bridge BridgeName, br0 when unnamed) or on the tap TapName; uk's bridge networking
// makes its own tap through qemu-bridge-helper.
void settle_network(const JsonNode& node, bool bridged, const std::string& file, Config& config)
{
    auto& network = config.run.network;
    auto warn = [&](const std::string& field, const std::string& why) {
        auto p = key_position(node, field).value_or(node.position());
        config.warnings.push_back(
            fmt::format("{}:{}:{}: {}{}: {}", file, p.line, p.column, node.path().empty() ? "" : node.path() + ".",
                        field, why));
    };
    if (bridged) {
        network.mode = "bridge";
        if (!network.bridge)
            network.bridge = "br0";
        if (network.tap) {
            warn("TapName", "with Bridged, uk's bridge networking makes its own tap (qemu-bridge-helper); ignored");
            network.tap.reset();
        }
    } else {
        if (network.bridge) {
            warn("BridgeName", "goes with Bridged: true; ignored");
            network.bridge.reset();
        }
        if (network.tap)
            network.mode = "tap";
    }
    if (!network.mode)
        for (const char* field : {"IPAddress", "Gateway", "NetMask", "IPv6Address"})
            if (key_position(node, field))
                warn(field, "applies to bridge or tap networking (Bridged, TapName): ignored unless uk run is given "
                            "--net tap or --net bridge");
}

Status read_run_config(Reader& reader, const JsonNode& node, Config& config, const std::string& file)
{
    auto& run = config.run;
    auto ports = [&reader](bool udp) {
        return [&reader, udp](const JsonNode& list) {
            return reader.each(list, "an array of ports", [&reader, udp](const JsonNode& n) { return reader.port(n, udp); });
        };
    };
    auto non_empty_text = [&](const JsonNode& n) { return reader.non_empty_text(n); };
    auto flag = [&](const JsonNode& n) { return reader.flag(n); };
    auto ipv4 = [&](const JsonNode& n) { return ipv4_address(reader, n); };
    bool bridged = false;
    std::map<std::string, Handler> handlers{
        {"Memory", bind(run.memory, [&](const JsonNode& n) {
             return reader.typed<settings::MemorySize>(n, "a size like \"128M\"", settings::parse_memory_size);
         })},
        {"CPUs", bind(run.cpus, [&](const JsonNode& n) -> Result<settings::CpuCount> {
             if (!n.is_integer())
                 return fail(reader.wrong_type(n, "a whole number of CPUs"));
             auto cpus = settings::parse_cpu_count(n.as_integer());
             return cpus ? cpus : fail(reader.at(n, cpus.error().message));
         })},
        {"Ports", append_to(run.ports, ports(false))},
        {"UDPPorts", append_to(run.ports, ports(true))},
        {"Accel", bind(run.accel, [&](const JsonNode& n) -> Result<settings::AcceleratorChoice> {
             if (n.is_bool()) // ops: true asks for KVM where there is one
                 return n.as_bool() ? settings::AcceleratorChoice::automatic : settings::AcceleratorChoice::tcg;
             return reader.typed<settings::AcceleratorChoice>(n, "true, false, \"auto\", \"kvm\" or \"tcg\"",
                                                              settings::parse_accelerator_choice);
         })},
        {"Verbose", bind(run.verbose, flag)},
        {"Imagename", bind(run.image_name, non_empty_text)},
        {"InstanceName", bind(run.instance_name, non_empty_text)},
        {"Background", bind(run.detach, flag)},
        {"GdbPort", bind(run.gdb_port, [&](const JsonNode& n) -> Result<std::uint16_t> {
             if (!n.is_integer() || n.as_integer() < 1 || n.as_integer() > 65535)
                 return fail(reader.wrong_type(n, "a port from 1 to 65535"));
             return static_cast<std::uint16_t>(n.as_integer());
         })},
        {"Restart", bind(run.restart, [&](const JsonNode& n) {
             return reader.typed<settings::RestartPolicy>(
                 n, "\"no\", \"on-failure\", \"on-failure:MAX\", \"always\" or \"unless-stopped\"",
                 settings::parse_restart_policy);
         })},
        {"Bridged", bind(bridged, flag)},
        {"BridgeName", bind(run.network.bridge, non_empty_text)},
        {"TapName", bind(run.network.tap, non_empty_text)},
        {"IPAddress", bind(run.network.ip, ipv4)},
        {"Gateway", bind(run.network.gateway, ipv4)},
        {"NetMask", bind(run.network.netmask, ipv4)},
        {"IPv6Address", bind(run.network.ipv6, [&](const JsonNode& n) { return ipv6_address(reader, n); })},
        {"Mounts", append_to(config.mounts, [&](const JsonNode& n) { return mount_list(reader, n); })},
    };
    if (auto read = reader.object(node, handlers, ops_only_run_fields); !read)
        return read;
    settle_network(node, bridged, file, config);
    return {};
}

// ops's Mounts: {"VOLUME": "/path"}.
Result<std::vector<settings::MountSpec>> volume_map(const Reader& reader, const JsonNode& node)
{
    if (!node.is_object())
        return fail(reader.wrong_type(node, "an object like {\"data\": \"/data\"}"));
    std::vector<settings::MountSpec> mounts;
    for (std::size_t i = 0; i < node.size(); i++) {
        auto target = reader.text(node.member(i), "a guest path like \"/data\"");
        if (!target)
            return fail(target.error());
        auto mount = mount_spec(reader, node.member(i), node.key(i) + ":" + *target);
        if (!mount)
            return fail(mount.error());
        mounts.push_back(*mount);
    }
    return mounts;
}

} // namespace

Result<Config> parse_config(std::string_view text, const std::filesystem::path& file)
{
    auto document = JsonDocument::parse(text, file.string());
    if (!document)
        return fail(document.error());
    Config config;
    config.file = file;
    config.base_dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    Reader reader(config, file.string());

    auto non_empty_text = [&](const JsonNode& n) { return reader.non_empty_text(n); };
    auto non_empty_texts = [&](const JsonNode& n) { return reader.each(n, "an array of strings", non_empty_text); };
    auto flag = [&](const JsonNode& n) { return reader.flag(n); };
    auto size = [&](const JsonNode& n) {
        return reader.typed<settings::MemorySize>(n, "a size like \"128M\"", settings::parse_memory_size);
    };
    auto checked_map = [&](const char* what, auto good) {
        return [&reader, what, good](const JsonNode& n) -> Result<std::vector<std::pair<std::string, std::string>>> {
            auto value = reader.text_map(n);
            if (!value)
                return value;
            for (std::size_t i = 0; i < value->size(); i++)
                if (!good((*value)[i]))
                    return fail(reader.at(n.member(i), fmt::format(fmt::runtime(what), (*value)[i].second)));
            return value;
        };
    };

    std::map<std::string, Handler> handlers{
        {"Program", bind(config.program, non_empty_text)},
        // Empty strings are valid arguments.
        {"Args", bind(config.args, [&](const JsonNode& n) {
             return reader.each(n, "an array of strings", [&](const JsonNode& item) { return reader.text(item); });
         })},
        {"Env", bind(config.env, checked_map("a variable name must be non-empty and hold no '='", [](const auto& pair) {
             return !pair.first.empty() && pair.first.find('=') == std::string::npos;
         }))},
        {"Files", bind(config.files, non_empty_texts)},
        {"Dirs", bind(config.dirs, non_empty_texts)},
        {"MapDirs", bind(config.map_dirs, checked_map("expected an absolute guest path, got \"{}\"",
                                                      [](const auto& pair) { return pair.second.starts_with("/"); }))},
        {"NameServers", bind(config.name_servers, [&](const JsonNode& n) {
             return reader.each(n, "an array of strings", [&](const JsonNode& item) { return ip_address(reader, item); });
         })},
        // Older ops: one server.
        {"NameServer", bind(config.name_servers, [&](const JsonNode& n) -> Result<std::vector<std::string>> {
             auto server = ip_address(reader, n);
             return server ? Result<std::vector<std::string>>(std::vector{*server}) : fail(server.error());
         })},
        {"BaseVolumeSz", bind(config.base_volume_size, size)},
        {"LocalFilesParentDirectory", bind(config.base_dir, [&](const JsonNode& n) -> Result<std::filesystem::path> {
             auto folder = reader.non_empty_text(n);
             return folder ? Result<std::filesystem::path>(config.base_dir / *folder) : fail(folder.error());
         })},
        {"RunConfig", [&](const JsonNode& n) { return read_run_config(reader, n, config, file.string()); }},
        {"Mounts", append_to(config.mounts, [&](const JsonNode& n) { return volume_map(reader, n); })},
        {"Volumes", append_to(config.mounts, [&](const JsonNode& n) { return mount_list(reader, n); })},
        {"Kernel", bind(config.kernel, non_empty_text)},
        {"ReadOnlyRoot", bind(config.readonly_root, flag)},
        {"Compression", bind(config.compression, [&](const JsonNode& n) {
             return reader.typed<settings::Compression>(n, "\"auto\", \"zstd\", \"lz4\" or \"none\"",
                                                        settings::parse_compression);
         })},
        {"RootFs", bind(config.root_fs, [&](const JsonNode& n) {
             return reader.typed<settings::RootFs>(n, "\"squashfs\" or \"erofs\"", settings::parse_root_fs);
         })},
        {"Arch", bind(config.arch, [&](const JsonNode& n) {
             return reader.typed<Arch>(n, "\"amd64\" or \"arm64\"", settings::parse_arch);
         })},
        {"Sysroot", bind(config.sysroot, non_empty_text)},
        {"Strip", bind(config.strip, flag)},
        {"RebootOnExit", bind(config.reboot_on_exit, flag)},
        // true, or strace's options as an array: ["-f", "-e", "trace=file"].
        {"Strace", bind(config.strace, [&](const JsonNode& n) -> Result<std::optional<std::vector<std::string>>> {
             if (n.is_bool())
                 return n.as_bool() ? std::optional(std::vector<std::string>{}) : std::nullopt;
             auto options = reader.each(n, "true, false or an array of strace's options",
                                        [&](const JsonNode& item) { return reader.text(item); });
             if (!options)
                 return fail(options.error());
             return std::optional(*options);
         })},
    };
    if (auto read = reader.object(document->root(), handlers, ops_only_fields, descriptive_fields); !read)
        return fail(read.error());
    return config;
}

Result<std::optional<Config>> load_config(const std::optional<std::filesystem::path>& explicit_file,
                                          const std::filesystem::path& working_dir)
{
    std::filesystem::path file;
    if (explicit_file) {
        file = *explicit_file;
        std::error_code ec;
        auto absolute = file.is_absolute() ? file : working_dir / file;
        if (!std::filesystem::is_regular_file(absolute, ec))
            return fail(ErrorKind::not_found, "config file {} does not exist", file.string());
    } else {
        file = "uk.json";
        std::error_code ec;
        if (!std::filesystem::is_regular_file(working_dir / file, ec))
            return std::optional<Config>{};
    }
    auto absolute = file.is_absolute() ? file : working_dir / file;
    auto text = read_file(absolute);
    if (!text)
        return fail(text.error());
    auto config = parse_config(*text, file);
    if (!config)
        return fail(config.error());
    if (config->base_dir.is_relative())
        config->base_dir = working_dir / config->base_dir;
    return std::optional<Config>(std::move(*config));
}

} // namespace uk::config
