#include "image/node_builtins.hpp"

#include "core/files.hpp"

#include <algorithm>

namespace uk::image {

Result<std::vector<std::string>> externalized_node_builtins(const std::filesystem::path& library)
{
    auto bytes = read_file(library);
    if (!bytes)
        return fail(bytes.error());
    constexpr std::string_view prefix = "/usr/share/nodejs/";
    auto path_byte = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
               c == '_' || c == '-';
    };
    std::vector<std::string> paths;
    for (auto at = bytes->find(prefix); at != std::string::npos; at = bytes->find(prefix, at + prefix.size())) {
        auto end = at;
        while (end < bytes->size() && path_byte((*bytes)[end]))
            end++;
        auto path = bytes->substr(at, end - at);
        if (path.ends_with(".js") && path.find("/../") == std::string::npos &&
            std::find(paths.begin(), paths.end(), path) == paths.end())
            paths.push_back(path);
    }
    return paths;
}

} // namespace uk::image
