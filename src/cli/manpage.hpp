// uk(1) in roff, generated from the declared commands (command_tree.hpp), so the man page
// says what `uk --help` says. The build writes it with the hidden `uk manpage` command.
#pragma once

#include "cli/command_tree.hpp"

#include <string>
#include <vector>

namespace uk::cli {

std::string render_manpage(const std::vector<CommandText>& commands, const std::string& version);

} // namespace uk::cli
