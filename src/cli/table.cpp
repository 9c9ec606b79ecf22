#include "cli/table.hpp"

#include "core/log.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace uk::cli {

void print_table(const std::vector<std::vector<std::string>>& rows)
{
    if (rows.empty())
        return;
    std::vector<std::size_t> widths(rows.front().size());
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size() && i < widths.size(); i++)
            widths[i] = std::max(widths[i], row[i].size());
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); i++)
            line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
        log::result(line);
    }
}

} // namespace uk::cli
