#include "support/tools.hpp"

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

} // namespace uk::test
