// uk image's subcommands, declared in more than one file.
#pragma once

#include "cli/command.hpp"

#include <functional>

namespace uk::cli {

// `uk image create` on `image`; `action` runs it once it is parsed.
CLI::App* declare_image_create(CLI::App& image, const Context& context, std::function<Result<int>()>& action);

// `uk image pull` and `uk image push` (image_registry_command.cpp).
CLI::App* declare_image_pull(CLI::App& image, const Context& context, std::function<Result<int>()>& action);
CLI::App* declare_image_push(CLI::App& image, const Context& context, std::function<Result<int>()>& action);

} // namespace uk::cli
