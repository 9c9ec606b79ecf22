#include "core/exit_status.hpp"

#include <catch2/catch.hpp>

TEST_CASE("exit status: --help lists every status uk gives, from the same table", "[unit][core]")
{
    auto help = uk::exit_status_help();
    for (auto kind : {uk::ErrorKind::usage, uk::ErrorKind::invalid_input, uk::ErrorKind::not_found,
                      uk::ErrorKind::unavailable, uk::ErrorKind::io, uk::ErrorKind::guest_failed,
                      uk::ErrorKind::interrupted, uk::ErrorKind::internal}) {
        auto status = uk::exit_status_of(kind);
        INFO(status);
        CHECK(help.find("\n  " + std::to_string(status) + " ") != std::string::npos);
    }
    CHECK(uk::exit_status_of(uk::ErrorKind::unavailable) == 69);
    CHECK(help.find("\n  127 ") != std::string::npos);
    CHECK(help.starts_with("Exit status:\n  0 "));
}
