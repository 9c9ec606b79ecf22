// The one table from error kind to process exit status; docs/exit-status.md documents it.
#pragma once

#include "core/error.hpp"

namespace uk {

inline constexpr int exit_success = 0;

int exit_status_of(ErrorKind kind);

} // namespace uk
