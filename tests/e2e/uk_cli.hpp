// Drives the built uk executable as a user would, with its own UK_HOME, and makes sure
// nothing it started outlives the test.
#pragma once

#include "core/process.hpp"
#include "support/http.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace uk::test {

struct UkResult {
    int status = -1;
    std::string out;
    std::string err;
    std::vector<std::string> error_lines() const; // stderr, line by line
};

class UkCli {
public:
    UkCli();
    ~UkCli(); // kills any QEMU still running from this UK_HOME

    // The uk executable under test: UK_TEST_UK when set, else the one this build made.
    static std::string binary();

    const TempDir& home() const { return home_; }
    // NAME=VALUE settings for every later uk run (AWS credentials, for instance).
    void set_environment(std::vector<std::string> settings) { environment_ = std::move(settings); }
    const TempDir& work() const { return work_; }

    // Runs uk to completion.
    UkResult run(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(240));

    // Starts uk in the background; stdout and stderr go to files in work().
    uk::Process start(const std::vector<std::string>& args);
    std::string started_output() const;
    std::string started_errors() const;

    // Waits for an HTTP 200 from a server that `run` (from start()) boots, and stops
    // waiting the moment that uk exits: then `why` gives its status and last error line.
    struct HttpWait {
        std::optional<HttpResponse> response;
        std::string why; // when there is no response
    };
    HttpWait wait_for_http_ok(uk::Process& run, std::uint16_t port, const std::string& path,
                              std::chrono::seconds deadline);

    // QEMU processes (or support/fake-qemu ones) whose command line mentions this UK_HOME.
    std::vector<int> running_qemus() const;
    // `uk instance monitor` processes started with this UK_HOME.
    std::vector<int> running_monitors() const;
    std::vector<std::string> images() const;
    std::vector<std::string> instances() const; // folders left in the state folder

private:
    std::vector<std::string> argv(const std::vector<std::string>& args) const;
    // With UK_TEST_RECORD set: a failed run with its one error line, for docs/bad-input.md.
    void record(const std::vector<std::string>& args, const UkResult& result) const;
    TempDir home_;
    TempDir work_;
    std::vector<std::string> environment_;
};

} // namespace uk::test
