#include "support/tools.hpp"

#include "core/process.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace uk::test {

ToolResult run_tool(const std::vector<std::string>& argv)
{
    auto process = uk::Process::spawn({.argv = argv,
                                       .stdin_stream = uk::DevNull{},
                                       .stdout_stream = uk::Pipe{},
                                       .merge_stderr_into_stdout = true});
    if (!process)
        throw std::runtime_error(process.error().message);
    ToolResult result;
    char buffer[8192];
    ssize_t n;
    while ((n = ::read(process->stdout_fd(), buffer, sizeof buffer)) > 0)
        result.output.append(buffer, static_cast<std::size_t>(n));
    result.status = process->wait();
    return result;
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
