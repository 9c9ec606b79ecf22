#include "vm/host_memory.hpp"

#include "core/files.hpp"

#include <sstream>

namespace uk::vm {

std::optional<std::uint64_t> host_memory_mib(const std::filesystem::path& meminfo)
{
    auto text = read_file(meminfo);
    if (!text)
        return std::nullopt;
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("MemTotal:"))
            continue;
        std::istringstream words(line.substr(9));
        std::uint64_t kib = 0;
        if (words >> kib)
            return kib / 1024;
    }
    return std::nullopt;
}

} // namespace uk::vm
