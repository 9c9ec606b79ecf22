#include "image/manifest.hpp"

#include <nlohmann/json.hpp>

namespace uk::image {

std::string to_json(const Manifest& m)
{
    // ordered_json keeps insertion order; env keeps the user's order.
    nlohmann::ordered_json json;
    json["version"] = 1;
    json["program"] = m.program;
    json["argv"] = m.argv;
    nlohmann::ordered_json env = nlohmann::ordered_json::object();
    for (const auto& [key, value] : m.env)
        env[key] = value;
    json["env"] = env;
    json["cwd"] = m.cwd;
    json["hostname"] = m.hostname;
    json["readonly_root"] = m.readonly_root;
    if (m.writable_root_mib)
        json["writable_root_mib"] = *m.writable_root_mib;
    auto mounts = nlohmann::ordered_json::array();
    for (const auto& mount : m.mounts)
        mounts.push_back({{"source", mount.source}, {"target", mount.target}, {"type", mount.type}, {"options", mount.options}});
    json["mounts"] = mounts;
    nlohmann::ordered_json limits = nlohmann::ordered_json::object();
    auto limit = [](std::uint64_t value) -> nlohmann::ordered_json {
        if (value == unlimited)
            return "unlimited";
        return value;
    };
    for (const auto& [name, pair] : m.rlimits)
        limits[name] = {limit(pair.first), limit(pair.second)};
    json["rlimits"] = limits;
    json["stop_grace_seconds"] = m.stop_grace_seconds;
    return json.dump(2) + "\n";
}

} // namespace uk::image
