#include "support/tools.hpp"

#include <thread>

#include <algorithm>

#include "core/process.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace uk::test {

ToolResult run_tool(const std::vector<std::string>& argv)
{
    auto run = uk::run_tool(argv);
    if (!run)
        throw std::runtime_error(run.error().message);
    return ToolResult{run->status, run->output};
}

std::string read_text(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const std::filesystem::path& path, const std::string& text)
{
    if (path.has_parent_path())
        std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> names_in(const std::filesystem::path& folder)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

bool any_name_contains(const std::filesystem::path& folder, const std::string& text)
{
    for (const auto& name : names_in(folder))
        if (name.find(text) != std::string::npos)
            return true;
    return false;
}

bool eventually(const std::function<bool()>& done, std::chrono::seconds deadline)
{
    for (auto until = std::chrono::steady_clock::now() + deadline; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(std::chrono::milliseconds(5)))
        if (done())
            return true;
    return false;
}

} // namespace uk::test
