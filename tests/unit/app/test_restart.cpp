// Restart policies: Docker's rules for when, and its back-off for how soon.
#include "app/restart.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using uk::app::RestartBackoff;
using uk::app::should_restart;
using Policy = uk::settings::RestartPolicy;
using When = Policy::When;

TEST_CASE("restart: on-failure restarts a non-zero exit or a dead guest, at most MAX times", "[unit][app]")
{
    Policy twice{When::on_failure, 2u};
    CHECK(should_restart(twice, {3, false}, 0));
    CHECK(should_restart(twice, {3, false}, 1));
    CHECK_FALSE(should_restart(twice, {3, false}, 2));
    CHECK(should_restart(twice, {std::nullopt, false}, 0)); // the guest died
    CHECK_FALSE(should_restart(twice, {0, false}, 0));
    CHECK(should_restart({When::on_failure, std::nullopt}, {1, false}, 1000));
}

TEST_CASE("restart: always and unless-stopped restart any end but a stop, and no restarts nothing", "[unit][app]")
{
    for (auto when : {When::always, When::unless_stopped}) {
        CHECK(should_restart({when, std::nullopt}, {0, false}, 50));
        CHECK(should_restart({when, std::nullopt}, {std::nullopt, false}, 0));
        CHECK_FALSE(should_restart({when, std::nullopt}, {0, true}, 0));
    }
    CHECK_FALSE(should_restart({}, {1, false}, 0));
    CHECK_FALSE(should_restart({When::on_failure, std::nullopt}, {1, true}, 0));
}

TEST_CASE("restart: the wait doubles from 100 ms to 30 s, and starts again after a run of 10 s", "[unit][app]")
{
    RestartBackoff backoff;
    CHECK(backoff.next(1s) == 100ms);
    CHECK(backoff.next(1s) == 200ms);
    CHECK(backoff.next(1s) == 400ms);
    for (int i = 0; i < 20; i++)
        (void)backoff.next(1s);
    CHECK(backoff.next(1s) == 30s);
    CHECK(backoff.next(10s) == 100ms);
    CHECK(backoff.next(2s) == 200ms);
}
