#include "config/config.hpp"

#include "json/json_document.hpp"
#include "config/suggest.hpp"
#include "core/files.hpp"
#include "core/units.hpp"
#include "hypervisor/ports.hpp"

#include <arpa/inet.h>
#include <functional>
#include <map>
#include <set>

namespace uk::config {
namespace {

using json::JsonNode;
using json::JsonDocument;

using Handler = std::function<Status(const JsonNode&)>;

// ops fields that mean something to ops or Nanos only. Present and set, each earns a
// warning that it is ignored; left at their zero value, nothing.
const std::set<std::string> ops_only_fields = {
    "DisableArgsCopy", "Boot",        "UefiBoot",       "BuildDir",    "Debugflags",         "Force",
    "NanosVersion",    "NightlyBuild", "NoTrace",       "ManifestPassthrough", "ProgramPath", "RebootOnExit",
    "TargetRoot",      "VolumesDir",  "PackageBaseURL", "PackageManifestURL", "Klibs",      "KlibDir",
    "Uefi",            "CloudConfig", "Mounts",
};
// Descriptions: read and kept silent.
const std::set<std::string> descriptive_fields = {"Version", "Language", "Runtime", "Description"};
const std::set<std::string> ops_only_run_fields = {
    "Bridged",     "BridgeName",   "Debug",      "Gateway",   "GdbPort",    "InstanceGroup", "InstanceName",
    "IPAddress",   "IPv6Address",  "Klibs",      "Vga",       "Mounts",     "NetMask",       "Background",
    "ShowDebug",   "ShowErrors",   "ShowWarnings", "JSON",    "TapName",    "VolumeSizeInGb", "QMP",
};

class Reader {
public:
    Reader(Config& config, std::string file_name) : config_(config), file_(std::move(file_name)) {}

    Error at(const JsonNode& node, const std::string& what) const
    {
        auto p = node.position();
        return Error{ErrorKind::invalid_input, fmt::format("{}:{}:{}: {}: {}", file_, p.line, p.column, node.path(), what)};
    }

    Error wrong_type(const JsonNode& node, const std::string& expected) const
    {
        return at(node, fmt::format("expected {}, got {}", expected, node.type_name()));
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

    Result<std::vector<std::string>> texts(const JsonNode& node) const
    {
        if (!node.is_array())
            return fail(wrong_type(node, "an array of strings"));
        std::vector<std::string> out;
        for (std::size_t i = 0; i < node.size(); i++) {
            auto value = non_empty_text(node.item(i));
            if (!value)
                return fail(value.error());
            out.push_back(*value);
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

    Result<std::string> size(const JsonNode& node) const
    {
        auto value = text(node, "a size like \"128M\"");
        if (!value)
            return value;
        if (!parse_memory_mib(*value))
            return fail(at(node, fmt::format("expected a size like \"128M\", got \"{}\"", *value)));
        return value;
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
            auto p = node.key_position(i);
            auto suggestion = closest_name(name, known);
            return fail(ErrorKind::invalid_input, "{}:{}:{}: {}: unknown field{}", file_, p.line, p.column,
                        member.path(), suggestion ? "; did you mean " + *suggestion + "?" : " (docs/config.md lists them)");
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

Status check_port(const Reader& reader, const JsonNode& node, std::vector<std::string>& out, bool udp)
{
    std::string spec;
    if (node.is_integer())
        spec = std::to_string(node.as_integer());
    else if (node.is_string())
        spec = node.as_string();
    else
        return fail(reader.wrong_type(node, "a port like \"8080\" or \"8080:80\""));
    auto parsed = hypervisor::parse_port(udp ? spec + "/udp" : spec);
    if (!parsed)
        return fail(reader.at(node, fmt::format("expected a port like \"8080\" or \"127.0.0.1:8080:80\", got \"{}\"", spec)));
    out.push_back(spec);
    return {};
}

Status read_run_config(Reader& reader, const JsonNode& node, RunSettings& run)
{
    auto ports = [&](std::vector<std::string>& out, bool udp) {
        return [&reader, &out, udp](const JsonNode& list) -> Status {
            if (!list.is_array())
                return fail(reader.wrong_type(list, "an array of ports"));
            for (std::size_t i = 0; i < list.size(); i++)
                if (auto checked = check_port(reader, list.item(i), out, udp); !checked)
                    return checked;
            return {};
        };
    };
    std::map<std::string, Handler> handlers{
        {"Memory",
         [&](const JsonNode& n) -> Status {
             auto value = reader.size(n);
             if (!value)
                 return fail(value.error());
             run.memory = *value;
             return {};
         }},
        {"CPUs",
         [&](const JsonNode& n) -> Status {
             if (!n.is_integer())
                 return fail(reader.wrong_type(n, "a whole number of CPUs"));
             if (n.as_integer() < 1 || n.as_integer() > 64)
                 return fail(reader.at(n, fmt::format("expected 1 to 64 CPUs, got {}", n.as_integer())));
             run.cpus = static_cast<unsigned>(n.as_integer());
             return {};
         }},
        {"Ports", ports(run.ports, false)},
        {"UDPPorts", ports(run.udp_ports, true)},
        {"Accel",
         [&](const JsonNode& n) -> Status {
             if (n.is_bool()) { // ops: true asks for KVM where there is one
                 run.accel = n.as_bool() ? "auto" : "tcg";
                 return {};
             }
             auto value = reader.text(n, "true, false, \"auto\", \"kvm\" or \"tcg\"");
             if (!value)
                 return fail(value.error());
             if (*value != "auto" && *value != "kvm" && *value != "tcg")
                 return fail(reader.at(n, fmt::format("expected \"auto\", \"kvm\" or \"tcg\", got \"{}\"", *value)));
             run.accel = *value;
             return {};
         }},
        {"Verbose",
         [&](const JsonNode& n) -> Status {
             auto value = reader.flag(n);
             if (!value)
                 return fail(value.error());
             run.verbose = *value;
             return {};
         }},
        {"Imagename",
         [&](const JsonNode& n) -> Status {
             auto value = reader.non_empty_text(n);
             if (!value)
                 return fail(value.error());
             run.image_name = *value;
             return {};
         }},
    };
    return reader.object(node, handlers, ops_only_run_fields);
}

std::string display_name(const std::filesystem::path& file)
{
    return file.string();
}

} // namespace

Result<Config> parse_config(std::string_view text, const std::filesystem::path& file)
{
    auto document = JsonDocument::parse(text, display_name(file));
    if (!document)
        return fail(document.error());
    Config config;
    config.file = file;
    config.base_dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    Reader reader(config, display_name(file));

    auto set_text = [&](std::optional<std::string>& target) {
        return [&reader, &target](const JsonNode& n) -> Status {
            auto value = reader.non_empty_text(n);
            if (!value)
                return fail(value.error());
            target = *value;
            return {};
        };
    };
    auto set_texts = [&](std::vector<std::string>& target) {
        return [&reader, &target](const JsonNode& n) -> Status {
            auto value = reader.texts(n);
            if (!value)
                return fail(value.error());
            target = *value;
            return {};
        };
    };
    auto set_flag = [&](std::optional<bool>& target) {
        return [&reader, &target](const JsonNode& n) -> Status {
            auto value = reader.flag(n);
            if (!value)
                return fail(value.error());
            target = *value;
            return {};
        };
    };
    auto check_name_servers = [&](const JsonNode& n, const std::vector<std::string>& servers) -> Status {
        for (std::size_t i = 0; i < servers.size(); i++) {
            unsigned char address[16];
            if (inet_pton(AF_INET, servers[i].c_str(), address) != 1 && inet_pton(AF_INET6, servers[i].c_str(), address) != 1)
                return fail(reader.at(n.is_array() ? n.item(i) : n,
                                      fmt::format("expected an IP address, got \"{}\"", servers[i])));
        }
        return {};
    };

    std::map<std::string, Handler> handlers{
        {"Program", set_text(config.program)},
        {"Args",
         [&](const JsonNode& n) -> Status {
             if (!n.is_array())
                 return fail(reader.wrong_type(n, "an array of strings"));
             std::vector<std::string> args; // empty strings are valid arguments
             for (std::size_t i = 0; i < n.size(); i++) {
                 auto value = reader.text(n.item(i));
                 if (!value)
                     return fail(value.error());
                 args.push_back(*value);
             }
             config.args = args;
             return {};
         }},
        {"Env",
         [&](const JsonNode& n) -> Status {
             auto value = reader.text_map(n);
             if (!value)
                 return fail(value.error());
             for (std::size_t i = 0; i < value->size(); i++)
                 if ((*value)[i].first.empty() || (*value)[i].first.find('=') != std::string::npos)
                     return fail(reader.at(n.member(i), "a variable name must be non-empty and hold no '='"));
             config.env = *value;
             return {};
         }},
        {"Files", set_texts(config.files)},
        {"Dirs", set_texts(config.dirs)},
        {"MapDirs",
         [&](const JsonNode& n) -> Status {
             auto value = reader.text_map(n);
             if (!value)
                 return fail(value.error());
             for (std::size_t i = 0; i < value->size(); i++)
                 if (!(*value)[i].second.starts_with("/"))
                     return fail(reader.at(n.member(i), fmt::format("expected an absolute guest path, got \"{}\"",
                                                                    (*value)[i].second)));
             config.map_dirs = *value;
             return {};
         }},
        {"NameServers",
         [&](const JsonNode& n) -> Status {
             auto value = reader.texts(n);
             if (!value)
                 return fail(value.error());
             if (auto ok = check_name_servers(n, *value); !ok)
                 return ok;
             config.name_servers = *value;
             return {};
         }},
        {"NameServer", // older ops: one server
         [&](const JsonNode& n) -> Status {
             auto value = reader.non_empty_text(n);
             if (!value)
                 return fail(value.error());
             if (auto ok = check_name_servers(n, {*value}); !ok)
                 return ok;
             config.name_servers = {*value};
             return {};
         }},
        {"BaseVolumeSz",
         [&](const JsonNode& n) -> Status {
             auto value = reader.size(n);
             if (!value)
                 return fail(value.error());
             config.base_volume_size = *value;
             return {};
         }},
        {"LocalFilesParentDirectory",
         [&](const JsonNode& n) -> Status {
             auto value = reader.non_empty_text(n);
             if (!value)
                 return fail(value.error());
             config.base_dir = config.base_dir / *value;
             return {};
         }},
        {"RunConfig", [&](const JsonNode& n) { return read_run_config(reader, n, config.run); }},
        {"Kernel", set_text(config.kernel)},
        {"ReadOnlyRoot", set_flag(config.readonly_root)},
        {"Compression",
         [&](const JsonNode& n) -> Status {
             auto value = reader.text(n, "\"auto\", \"zstd\", \"lz4\" or \"none\"");
             if (!value)
                 return fail(value.error());
             if (*value != "auto" && *value != "zstd" && *value != "lz4" && *value != "none")
                 return fail(reader.at(n, fmt::format("expected \"auto\", \"zstd\", \"lz4\" or \"none\", got \"{}\"", *value)));
             config.compression = *value;
             return {};
         }},
        {"Sysroot", set_text(config.sysroot)},
        {"Strip", set_flag(config.strip)},
    };
    if (auto read = reader.object(document->root(), handlers, ops_only_fields, descriptive_fields); !read) {
        auto error = read.error();
        if (error.message.find(": : ") != std::string::npos) // the root itself: no field path
            error.message.replace(error.message.find(": : "), 4, ": ");
        return fail(error);
    }
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
