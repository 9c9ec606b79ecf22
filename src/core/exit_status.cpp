#include "core/exit_status.hpp"

namespace uk {

// sysexits(3) codes where one fits, so that scripts can tell a bad input from a host
// that lacks something. `uk run` passes the program's own status through otherwise.
int exit_status_of(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::usage: return 2;
    case ErrorKind::invalid_input: return 65;  // EX_DATAERR
    case ErrorKind::not_found: return 66;      // EX_NOINPUT
    case ErrorKind::unavailable: return 69;    // EX_UNAVAILABLE
    case ErrorKind::guest_failed: return 70;   // EX_SOFTWARE
    case ErrorKind::internal: return 70;       // EX_SOFTWARE
    case ErrorKind::io: return 74;             // EX_IOERR
    case ErrorKind::interrupted: return 130;   // 128 + SIGINT, as shells report it
    }
    return 70;
}

} // namespace uk
