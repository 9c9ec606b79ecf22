#include "oci/auth.hpp"

#include "core/files.hpp"
#include "http/client.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace uk::oci {
namespace {

std::string lower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

// Docker Hub's credentials are kept under its old index URL.
std::vector<std::string> keys_for(const std::string& registry)
{
    if (registry == "docker.io" || registry == "registry-1.docker.io")
        return {"docker.io", "https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io"};
    return {registry, "https://" + registry, "http://" + registry};
}

} // namespace

std::vector<std::filesystem::path> auth_files(const state::Environment& environment)
{
    std::vector<std::filesystem::path> files;
    if (auto file = environment("REGISTRY_AUTH_FILE"))
        files.emplace_back(*file);
    if (auto runtime = environment("XDG_RUNTIME_DIR"))
        files.push_back(std::filesystem::path(*runtime) / "containers/auth.json");
    auto home = environment("HOME");
    if (auto config = environment("XDG_CONFIG_HOME"))
        files.push_back(std::filesystem::path(*config) / "containers/auth.json");
    else if (home)
        files.push_back(std::filesystem::path(*home) / ".config/containers/auth.json");
    if (auto docker = environment("DOCKER_CONFIG"))
        files.push_back(std::filesystem::path(*docker) / "config.json");
    else if (home)
        files.push_back(std::filesystem::path(*home) / ".docker/config.json");
    return files;
}

std::optional<Credentials> credentials_for(const std::string& registry, const state::Environment& environment)
{
    for (const auto& file : auth_files(environment)) {
        auto text = read_file(file);
        if (!text)
            continue;
        auto json = nlohmann::json::parse(*text, nullptr, false);
        if (!json.is_object() || !json.contains("auths") || !json["auths"].is_object())
            continue;
        for (const auto& key : keys_for(registry)) {
            if (!json["auths"].contains(key))
                continue;
            const auto& entry = json["auths"][key];
            auto auth = entry.is_object() ? entry.value("auth", "") : "";
            auto decoded = http::base64_decode(auth);
            if (!decoded)
                continue;
            auto colon = decoded->find(':');
            if (colon == std::string::npos)
                continue;
            return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1), file};
        }
    }
    return std::nullopt;
}

std::optional<Challenge> parse_challenge(const std::string& header)
{
    auto space = header.find(' ');
    if (header.empty())
        return std::nullopt;
    Challenge challenge{lower(header.substr(0, space)), {}};
    if (space == std::string::npos)
        return challenge;
    std::string rest = header.substr(space + 1);
    std::size_t i = 0;
    while (i < rest.size()) {
        while (i < rest.size() && (rest[i] == ' ' || rest[i] == ','))
            i++;
        auto equals = rest.find('=', i);
        if (equals == std::string::npos)
            break;
        auto name = lower(rest.substr(i, equals - i));
        i = equals + 1;
        std::string value;
        if (i < rest.size() && rest[i] == '"') {
            for (i++; i < rest.size() && rest[i] != '"'; i++) {
                if (rest[i] == '\\' && i + 1 < rest.size())
                    i++;
                value += rest[i];
            }
            i++;
        } else {
            auto end = rest.find(',', i);
            value = rest.substr(i, end == std::string::npos ? std::string::npos : end - i);
            i = end == std::string::npos ? rest.size() : end;
        }
        challenge.parameters[name] = value;
    }
    return challenge;
}

} // namespace uk::oci
