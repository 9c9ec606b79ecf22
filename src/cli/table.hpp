// The tables uk prints for people (uk ps, uk volume list): columns as wide as their
// widest cell, two spaces apart, the last one as it is.
#pragma once

#include <string>
#include <vector>

namespace uk::cli {

// The first row is the header. Printed with log::result.
void print_table(const std::vector<std::vector<std::string>>& rows);

} // namespace uk::cli
