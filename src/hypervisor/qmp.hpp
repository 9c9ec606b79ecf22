// A minimal client for QEMU's machine protocol (QMP) on a Unix socket: connect, leave
// negotiation mode, run a command and wait for its answer.
#pragma once

#include "core/error.hpp"
#include "core/unique_fd.hpp"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace uk::hypervisor {

class QmpClient {
public:
    static Result<QmpClient> connect(const std::filesystem::path& socket, std::chrono::milliseconds timeout);

    QmpClient(QmpClient&&) noexcept = default;
    QmpClient& operator=(QmpClient&&) noexcept = default;

    // Runs a command without arguments ("system_powerdown", "quit"); events are skipped.
    Status execute(const std::string& command, std::chrono::milliseconds timeout);
    // Runs a command and returns what it returned.
    Result<nlohmann::json> call(const std::string& command, const nlohmann::json& arguments,
                                std::chrono::milliseconds timeout);
    // A human monitor command ("info usernet") and its text.
    Result<std::string> human(const std::string& command_line, std::chrono::milliseconds timeout);

private:
    explicit QmpClient(UniqueFd fd) : fd_(std::move(fd)) {}
    Result<std::string> read_line(std::chrono::steady_clock::time_point deadline);

    UniqueFd fd_;
    std::string buffer_;
};

} // namespace uk::hypervisor
