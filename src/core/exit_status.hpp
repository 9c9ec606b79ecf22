// The one table from error kind to process exit status; docs/exit-status.md documents it
// and `uk --help` prints it from here.
#pragma once

#include "core/error.hpp"

#include <string>

namespace uk {

inline constexpr int exit_success = 0;
// uk run: uk-init could not start the program in the guest.
inline constexpr int exit_program_not_started = 127;

int exit_status_of(ErrorKind kind);
// The status for this error: its kind's, but 128 + the signal for an interruption by one
// (130 for Ctrl-C, 143 for SIGTERM).
int exit_status_of(const Error& error);

// The "Exit status:" block of `uk --help` (and so of the man page): every status uk
// itself gives, one line each, from the same table as exit_status_of.
std::string exit_status_help();

} // namespace uk
