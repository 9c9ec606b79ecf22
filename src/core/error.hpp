// Errors as values. Library code returns Result<T>; the CLI turns an Error into its one
// line on stderr and its exit status (exit_status.hpp), in one place.
#pragma once

#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace uk {

// What kind of failure this is; decides the exit status. The message says the rest.
enum class ErrorKind {
    usage,        // bad command-line flags or arguments
    invalid_input,// a program, config file or image that uk cannot use
    not_found,    // a file, image or instance that does not exist
    unavailable,  // something the host lacks: QEMU, KVM access, a free port, a tap device
    io,           // reading or writing on the host failed (permissions, disk full)
    guest_failed, // the VM ended without its program's exit status (crash, panic)
    interrupted,  // stopped by the user (Ctrl-C) before there was anything to report
    internal,     // a bug in uk
};

// "usage", "invalid_input", ...: for records that keep an error for later.
const char* to_string(ErrorKind kind);
ErrorKind error_kind_named(const std::string& name); // internal for a name it does not know

struct Error {
    ErrorKind kind;
    // One line: what is wrong, where, and what to do. No trailing period or newline.
    std::string message;
    // ErrorKind::interrupted: the stop signal that ended it (SIGINT, SIGTERM, SIGHUP), when
    // known; it decides the exit status (128 + the signal, as shells report it).
    int signal = 0;
};

template <class T>
using Result = std::expected<T, Error>;

using Status = Result<void>;

// `return fail(ErrorKind::not_found, "image {} does not exist", name);`
template <class... Args>
std::unexpected<Error> fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args)
{
    return std::unexpected(Error{kind, fmt::format(format, std::forward<Args>(args)...)});
}

inline std::unexpected<Error> fail(Error error) { return std::unexpected(std::move(error)); }

} // namespace uk
