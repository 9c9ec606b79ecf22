// Registry credentials as podman and docker keep them ($REGISTRY_AUTH_FILE, then
// $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json and
// $DOCKER_CONFIG/config.json or ~/.docker/config.json: the first that names the registry),
// and the WWW-Authenticate challenges registries answer with.
#pragma once

#include "state/paths.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace uk::oci {

struct Credentials {
    std::string user;
    std::string password;
    std::filesystem::path from; // the file they came from, for messages
};

// The files looked at, in order.
std::vector<std::filesystem::path> auth_files(const state::Environment& environment);

std::optional<Credentials> credentials_for(const std::string& registry, const state::Environment& environment);

// `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`
struct Challenge {
    std::string scheme; // lower case: "bearer", "basic"
    std::map<std::string, std::string> parameters;
};
std::optional<Challenge> parse_challenge(const std::string& header);

} // namespace uk::oci
