#include "state/paths.hpp"

#include "core/files.hpp"

#include <algorithm>
#include <cstdlib>

namespace uk::state {

Environment process_environment()
{
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (!value || !*value)
            return std::nullopt;
        return std::string(value);
    };
}

Result<Paths> resolve_paths(const Environment& environment)
{
    if (auto home = environment("UK_HOME"))
        return Paths{std::filesystem::path(*home) / "images", std::filesystem::path(*home) / "instances",
                     std::filesystem::path(*home) / "cache", std::filesystem::path(*home) / "volumes"};
    auto user_home = environment("HOME");
    auto base = [&](const char* variable, const char* fallback) -> std::optional<std::filesystem::path> {
        if (auto value = environment(variable); value && value->starts_with('/'))
            return std::filesystem::path(*value);
        if (user_home)
            return std::filesystem::path(*user_home) / fallback;
        return std::nullopt;
    };
    auto data = base("XDG_DATA_HOME", ".local/share");
    auto state = base("XDG_STATE_HOME", ".local/state");
    auto cache = base("XDG_CACHE_HOME", ".cache");
    if (!data || !state || !cache)
        return fail(ErrorKind::unavailable, "neither UK_HOME nor HOME is set, so uk has nowhere to keep images: set UK_HOME");
    return Paths{*data / "uk" / "images", *state / "uk" / "instances", *cache / "uk", *data / "uk" / "volumes"};
}

Status ensure_directory(const std::filesystem::path& folder) { return create_private_directories(folder); }

} // namespace uk::state
