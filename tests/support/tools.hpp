// Runs an independent tool (sfdisk, unsquashfs, mtools, file) and captures its output:
// what uk writes is checked by readers that uk did not write.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
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

// The names in a folder, sorted; none when it does not exist.
std::vector<std::string> names_in(const std::filesystem::path& folder);
bool any_name_contains(const std::filesystem::path& folder, const std::string& text);

// Asks `done` every 5 ms until it says yes (true) or the deadline passes (false).
bool eventually(const std::function<bool()>& done, std::chrono::seconds deadline = std::chrono::seconds(60));

} // namespace uk::test
