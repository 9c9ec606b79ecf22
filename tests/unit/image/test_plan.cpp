// What goes into an image for a dynamically linked program: the program, its loader and
// libraries at their own paths, what glibc needs, and the user's files.
#include "guest/embedded.hpp"
#include "image/build.hpp"
#include "image/manifest.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <set>

namespace {

uk::image::BuildRequest request_for(const std::filesystem::path& program)
{
    uk::image::BuildRequest request;
    request.program = program;
    request.name = "app";
    request.kernel = uk::guest::kernel_image();
    request.init = uk::guest::init_program();
    return request;
}

std::map<std::string, uk::image::ListedEntry> listing_of(const uk::image::ImagePlan& plan)
{
    std::map<std::string, uk::image::ListedEntry> out;
    for (const auto& entry : plan.listing)
        out[entry.guest] = entry;
    return out;
}

} // namespace

TEST_CASE("plan: a dynamic program brings its loader and libraries, $ORIGIN ones beside it", "[unit][image]")
{
    auto plan = uk::image::plan_image(request_for(UK_TEST_NEEDS_LIB));
    REQUIRE(plan);
    CHECK(plan->guest_program == "/needs-lib");
    auto listing = listing_of(*plan);
    REQUIRE(listing.contains("/needs-lib"));
    CHECK(listing["/needs-lib"].why == "program");
    REQUIRE(listing.contains("/lib/libuktest.so.1"));
    CHECK(listing["/lib/libuktest.so.1"].why == "needed by " + std::string(UK_TEST_NEEDS_LIB));
    REQUIRE(listing.contains("/lib64/ld-linux-x86-64.so.2"));
    CHECK(listing.contains("/lib/x86_64-linux-gnu/libc.so.6"));
    // glibc reads these; the program does no name lookups, so no NSS modules.
    CHECK(listing.contains("/etc/nsswitch.conf"));
    for (const auto& [path, entry] : listing)
        CHECK(path.find("libnss_") == std::string::npos);
    // Listed in guest path order, as the image holds them.
    CHECK(std::is_sorted(plan->listing.begin(), plan->listing.end(),
                         [](const auto& a, const auto& b) { return a.guest < b.guest; }));
}

TEST_CASE("plan: Files and Dirs from the config are listed with why they are there", "[unit][image]")
{
    uk::test::TempDir app;
    uk::test::write_text(app / "server.js", "1\n");
    uk::test::write_text(app / "public/index.html", "2\n");
    auto request = request_for(UK_TEST_PROBE);
    request.contents = {.base_dir = app.path(), .files = {"server.js"}, .dirs = {"public"}};
    auto plan = uk::image::plan_image(request);
    REQUIRE(plan);
    auto listing = listing_of(*plan);
    CHECK(listing["/server.js"].why == "Files");
    CHECK(listing["/server.js"].source == (app / "server.js").string());
    CHECK(listing["/public/index.html"].why == "Dirs");
}

TEST_CASE("plan: a user file where uk puts its own is an error that names both", "[unit][image]")
{
    uk::test::TempDir app;
    uk::test::write_text(app / "sbin/uk-init", "mine\n");
    auto request = request_for(UK_TEST_PROBE);
    request.contents = {.base_dir = app.path(), .files = {"sbin/uk-init"}};
    auto plan = uk::image::plan_image(request);
    REQUIRE_FALSE(plan);
    CHECK(plan.error().message.starts_with("/sbin/uk-init is in the image twice: "));
}

TEST_CASE("plan: what the guest could not start is refused when the image is planned", "[unit][image]")
{
    auto request = request_for(UK_TEST_PROBE);
    request.args = {std::string(uk::image::argument_limit, 'a')};
    auto one_too_long = uk::image::plan_image(request);
    REQUIRE_FALSE(one_too_long);
    CHECK(one_too_long.error().message == "argument 1 is 131072 bytes, over the 131071 bytes Linux takes for one "
                                          "argument: pass it in a file (Files) instead");
    request.args = {};
    request.env = {{"BIG", std::string(200'000, 'b')}};
    CHECK(uk::image::plan_image(request).error().message.starts_with("variable BIG is 200004 bytes, over"));
    request.env = {};
    for (int i = 0; i < 20; i++)
        request.args.push_back(std::string(120'000, 'c'));
    CHECK(uk::image::plan_image(request).error().message.starts_with("arguments and environment take "));
    request.args = {std::string(uk::image::argument_limit - 1, 'd')};
    CHECK(uk::image::plan_image(request));
}

TEST_CASE("plan: the manifest carries bytes that are not UTF-8, which uk-init's reader gives back", "[unit][image]")
{
    uk::image::Manifest manifest;
    manifest.program = "/probe";
    manifest.argv = {"/probe", "caf\xe9", "\xc3\xa9", "tab\there"};
    manifest.env = {{"K", "\xff"}};
    auto text = uk::image::to_json(manifest);
    CHECK(text.find(R"("caf\udce9")") != std::string::npos);
    CHECK(text.find("\"\xc3\xa9\"") != std::string::npos); // valid UTF-8 stays as it is
    CHECK(text.find(R"("tab\u0009here")") != std::string::npos);
    CHECK(text.find(R"("K": "\udcff")") != std::string::npos);
}
