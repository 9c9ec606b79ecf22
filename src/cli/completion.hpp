// Shell completion scripts for bash and zsh, generated from the declared commands
// (command_tree.hpp): commands, flags, the values flags take (files, folders, a|b|c
// choices) and the names of images, instances, taps and bridges, asked of uk itself or
// of /sys/class/net at the moment of completion.
#pragma once

#include "cli/command_tree.hpp"

#include <string>
#include <vector>

namespace uk::cli {

std::string render_bash_completion(const std::vector<CommandText>& commands, const std::string& version);
std::string render_zsh_completion(const std::vector<CommandText>& commands, const std::string& version);

} // namespace uk::cli
