#include "core/exit_status.hpp"

#include <fmt/format.h>
#include <map>

namespace uk {
namespace {

struct KindStatus {
    ErrorKind kind;
    int status;
    const char* meaning; // for --help; docs/exit-status.md says more
};

// sysexits(3) codes where one fits, so that scripts can tell a bad input from a host
// that lacks something. `uk run` passes the program's own status through otherwise.
constexpr KindStatus table[] = {
    {ErrorKind::usage, 2, "bad flags or arguments"},
    {ErrorKind::invalid_input, 65, "an input uk cannot use (a program for another machine, a config mistake)"},   // EX_DATAERR
    {ErrorKind::not_found, 66, "something named does not exist (a file, image, instance, library)"},      // EX_NOINPUT
    {ErrorKind::unavailable, 69, "the host lacks something or it is taken (QEMU, KVM, a port)"},         // EX_UNAVAILABLE
    {ErrorKind::guest_failed, 70, "the VM ended without the program's status (a kernel panic), or a bug"}, // EX_SOFTWARE
    {ErrorKind::internal, 70, ""},
    {ErrorKind::io, 74, "reading or writing on the host failed"}, // EX_IOERR
    {ErrorKind::interrupted, 130, "stopped by Ctrl-C before there was anything to report (143 for SIGTERM)"},
};

} // namespace

const char* to_string(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::usage: return "usage";
    case ErrorKind::invalid_input: return "invalid_input";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::io: return "io";
    case ErrorKind::guest_failed: return "guest_failed";
    case ErrorKind::interrupted: return "interrupted";
    case ErrorKind::internal: return "internal";
    }
    return "internal";
}

ErrorKind error_kind_named(const std::string& name)
{
    for (const auto& row : table)
        if (name == to_string(row.kind))
            return row.kind;
    return ErrorKind::internal;
}

int exit_status_of(ErrorKind kind)
{
    for (const auto& row : table)
        if (row.kind == kind)
            return row.status;
    return 70;
}

int exit_status_of(const Error& error)
{
    if (error.kind == ErrorKind::interrupted && error.signal > 0)
        return 128 + error.signal;
    return exit_status_of(error.kind);
}

std::string exit_status_help()
{
    std::string text = "Exit status:\n";
    auto line = [&](const std::string& status, const std::string& meaning) {
        text += fmt::format("  {:<14}{}\n", status, meaning);
    };
    std::map<int, std::string> lines{
        {exit_success, "success; uk run: the program's own status, whatever it is"},
        {exit_program_not_started, "uk run: the program could not be started in the guest"}};
    for (const auto& row : table)
        if (*row.meaning)
            lines.emplace(row.status, row.meaning);
    for (const auto& [status, meaning] : lines)
        line(std::to_string(status), meaning);
    return text;
}

} // namespace uk
