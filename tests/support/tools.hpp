// Runs an independent tool (sfdisk, unsquashfs, mtools, file) and captures its output:
// what uk writes is checked by readers that uk did not write.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace uk::test {

struct ToolResult {
    int status = -1;
    std::string output; // stdout and stderr together
};

ToolResult run_tool(const std::vector<std::string>& argv);

std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& text);

} // namespace uk::test
