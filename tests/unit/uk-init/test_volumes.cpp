// uk-init's half of mounts: the words uk writes on the kernel command line come back as
// the same mounts, in the same order.
#include "guest/kernel_args.hpp"
#include "uk-init/volumes.h"

#include <catch2/catch.hpp>
#include <string>

namespace {

struct Parsed {
    guest_mounts mounts{};
    bool ok = false;
    std::string error;
};

Parsed parse(const std::string& cmdline)
{
    Parsed out;
    char error[512] = "";
    out.ok = guest_mounts_parse(cmdline.c_str(), &out.mounts, error, sizeof error) == 0;
    out.error = error;
    return out;
}

} // namespace

TEST_CASE("uk-init: the mounts uk writes are read back in order, paths decoded", "[unit][uk-init]")
{
    uk::guest::GuestBoot boot{.root_device = "/dev/vda"};
    boot.mounts = {{uk::guest::GuestMount::Kind::volume, "uk-vol0", "/var/lib/my data", false},
                   {uk::guest::GuestMount::Kind::host_folder, "uk-share0", "/srv/www:100%", true},
                   {uk::guest::GuestMount::Kind::volume, "uk-vol1", "/var/lib/my data/ünï", true}};
    auto cmdline = uk::guest::guest_kernel_args(boot);
    CHECK(cmdline.find(" uk.vol=uk-vol0:/var/lib/my%20data uk.share=uk-share0:/srv/www%3A100%25:ro "
                       "uk.vol=uk-vol1:/var/lib/my%20data/%C3%BCn%C3%AF:ro") != std::string::npos);
    auto parsed = parse(cmdline);
    REQUIRE(parsed.ok);
    REQUIRE(parsed.mounts.count == 3);
    CHECK(parsed.mounts.items[0].is_volume == 1);
    CHECK(std::string(parsed.mounts.items[0].device) == "uk-vol0");
    CHECK(std::string(parsed.mounts.items[0].target) == "/var/lib/my data");
    CHECK(parsed.mounts.items[0].read_only == 0);
    CHECK(parsed.mounts.items[1].is_volume == 0);
    CHECK(std::string(parsed.mounts.items[1].device) == "uk-share0");
    CHECK(std::string(parsed.mounts.items[1].target) == "/srv/www:100%");
    CHECK(parsed.mounts.items[1].read_only == 1);
    CHECK(std::string(parsed.mounts.items[2].target) == "/var/lib/my data/ünï");
}

TEST_CASE("uk-init: no mounts on a plain command line", "[unit][uk-init]")
{
    auto parsed = parse("console=ttyS0 quiet root=PARTUUID=x init=/sbin/uk-init uk.ip=10.0.2.15/24");
    CHECK(parsed.ok);
    CHECK(parsed.mounts.count == 0);
}

TEST_CASE("uk-init: a malformed mount word is named", "[unit][uk-init]")
{
    for (const char* word : {"uk.vol=", "uk.vol=uk-vol0", "uk.vol=:/data", "uk.vol=uk-vol0:data",
                             "uk.vol=uk-vol0:/data:rw", "uk.share=uk-share0:/a%2", "uk.share=uk-share0:/a%zz",
                             "uk.vol=uk-vol0:/a%00b"}) {
        INFO(word);
        auto parsed = parse(std::string("quiet ") + word + " panic=-1");
        CHECK_FALSE(parsed.ok);
        CHECK(parsed.error == std::string("malformed ") + word);
    }
}
