// Inputs and events a hostile but realistic user brings: things that could hang uk,
// leave files behind, let others read secrets, or be found too late. Each was once a
// defect; each test failed before its fix.
#include "e2e/uk_cli.hpp"
#include "support/environment.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <thread>

using namespace std::chrono_literals;
using uk::test::UkCli;
using uk::test::any_name_contains;
using uk::test::eventually;
using uk::test::names_in;

namespace {

unsigned mode_of(const std::filesystem::path& path)
{
    struct stat st{};
    ::stat(path.c_str(), &st);
    return st.st_mode & 0777;
}

} // namespace

TEST_CASE("a FIFO or a device named in Files is refused at once, before anything reads it", "[e2e]")
{
    UkCli uk;
    REQUIRE(::mkfifo((uk.work() / "pipe").c_str(), 0644) == 0);
    for (const std::string& file : {std::string("pipe"), std::string("/dev/zero")}) {
        INFO(file);
        uk::test::write_text(uk.work() / "uk.json",
                             R"({"Program": ")" UK_TEST_PROBE R"(", "Files": [")" + file + R"("]})");
        auto result = uk.run({"build"}, 30s);
        CHECK(result.status == 65);
        auto host = file == "pipe" ? (uk.work() / "pipe").string() : file;
        CHECK(result.error_lines() == std::vector<std::string>{"uk: error: Files: " + host +
                                                               " is a device, pipe or socket: uk packs files, "
                                                               "folders and symlinks only"});
        CHECK(names_in(uk.home() / "images").empty());
    }
}

TEST_CASE("an image cut short is refused before it boots, saying what is missing", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_PROBE, "-o", (uk.work() / "whole.img").string()}).status == 0);
    std::filesystem::copy_file(uk.work() / "whole.img", uk.work() / "half.img");
    auto size = std::filesystem::file_size(uk.work() / "whole.img");
    std::filesystem::resize_file(uk.work() / "half.img", size / 2);
    auto result = uk.run({"run", (uk.work() / "half.img").string()}, 30s);
    CHECK(result.status == 65);
    REQUIRE(result.error_lines().size() == 1);
    CHECK(result.error_lines()[0].starts_with("uk: error: " + (uk.work() / "half.img").string() + " is damaged: its "));
    CHECK(result.error_lines()[0].find("(a copy cut short?)") != std::string::npos);
    CHECK(uk.running_qemus().empty());
    CHECK(uk.instances().empty());
}

TEST_CASE("a build killed with SIGKILL leaves a file the next build removes, and uk doctor reports", "[e2e]")
{
    UkCli uk;
    auto images = uk.home() / "images";
    auto build = uk.start({"build", "-c", UK_TEST_NODE_CONFIG, "-n", "node"});
    REQUIRE(eventually([&] { return any_name_contains(images, ".uk-tmp."); }));
    ::kill(build.pid(), SIGKILL);
    build.wait();
    REQUIRE(any_name_contains(images, ".uk-tmp."));
    auto doctor = uk.run({"doctor", "--json"});
    bool reported = false;
    auto report = nlohmann::json::parse(doctor.out);
    for (const auto& finding : report["findings"])
        if (finding["topic"] == "leftovers")
            reported = finding["status"] == "warning" && !finding["details"]["files"].empty();
    INFO(doctor.out);
    CHECK(reported);

    REQUIRE(uk.run({"build", UK_TEST_PROBE}).status == 0);
    CHECK(names_in(images) == std::vector<std::string>{"probe.img"});
}

TEST_CASE("two builds of one name at once: the second waits and says so, both end with a whole image", "[e2e]")
{
    UkCli uk;
    auto first = uk.start({"build", "-c", UK_TEST_NODE_CONFIG, "-n", "same"});
    REQUIRE(eventually([&] { return any_name_contains(uk.home() / "images", ".uk-tmp."); }));
    auto second = uk.run({"build", UK_TEST_PROBE, "-n", "same"}, 120s);
    CHECK(second.status == 0);
    CHECK(second.err.find("waiting for another uk build of same.img") != std::string::npos);
    CHECK(first.wait_for(120s) == 0);
    CHECK(uk.run({"image", "inspect", "same"}).status == 0);
    CHECK(names_in(uk.home() / "images") == std::vector<std::string>{"same.img"});
}

TEST_CASE("build -o: a folder takes NAME.img, a folder that does not exist is refused before building", "[e2e]")
{
    UkCli uk;
    std::filesystem::create_directories(uk.work() / "out");
    auto into_folder = uk.run({"build", UK_TEST_PROBE, "-o", (uk.work() / "out").string()});
    CHECK(into_folder.status == 0);
    CHECK(names_in(uk.work() / "out") == std::vector<std::string>{"probe.img"});
    auto missing = uk.run({"build", UK_TEST_PROBE, "-o", (uk.work() / "no/such/x.img").string()});
    CHECK(missing.status == 66);
    CHECK(missing.error_lines() == std::vector<std::string>{"uk: error: -o " + (uk.work() / "no/such/x.img").string() +
                                                            ": folder " + (uk.work() / "no/such").string() +
                                                            " does not exist"});
}

TEST_CASE("a damaged cached kernel is unpacked again instead of failing every run", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"run", UK_TEST_PROBE, "--accel", "tcg"}).status == 0);
    std::filesystem::path vmlinux;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(uk.home() / "cache" / "kernels"))
        if (entry.path().filename() == "vmlinux")
            vmlinux = entry.path();
    REQUIRE_FALSE(vmlinux.empty());
    std::fstream(vmlinux, std::ios::in | std::ios::out | std::ios::binary).write("damaged!", 8);
    auto again = uk.run({"run", UK_TEST_PROBE, "--accel", "tcg", "-a", "exit", "-a", "4"});
    INFO(again.err);
    CHECK(again.status == 4);
    CHECK(uk::test::read_text(vmlinux).substr(0, 4) == "\177ELF");
}

TEST_CASE("uk's folders and files are the user's alone, files given with -o follow the umask", "[e2e]")
{
    UkCli uk;
    auto old_mask = ::umask(022);
    auto built = uk.run({"build", UK_TEST_PROBE});
    auto shared = uk.run({"build", UK_TEST_PROBE, "-o", (uk.work() / "shared.img").string()});
    auto started = uk.run({"run", "-d", "--name", "box", UK_TEST_PROBE, "--accel", "tcg", "-a", "wait-term"});
    ::umask(old_mask);
    REQUIRE(built.status == 0);
    REQUIRE(started.status == 0);
    CHECK(mode_of(uk.home() / "images") == 0700);
    CHECK(mode_of(uk.home() / "images/probe.img") == 0600);
    CHECK(mode_of(uk.home() / "instances") == 0700);
    CHECK(mode_of(uk.home() / "instances/box") == 0700);
    CHECK(mode_of(uk.home() / "instances/box/console.log") == 0600);
    CHECK(mode_of(uk.home() / "instances/box/instance.json") == 0600);
    CHECK(mode_of(uk.home() / "cache") == 0700);
    CHECK(mode_of(uk.work() / "shared.img") == 0644);
    CHECK(uk.run({"instance", "stop", "box"}).status == 0);
}

TEST_CASE("arguments and environment are bytes: they reach the guest unchanged, and --json stays JSON", "[e2e]")
{
    UkCli uk;
    auto result = uk.run({"run", UK_TEST_PROBE, "--accel", "tcg", "-a", "exit", "-a", "caf\xe9", "-e",
                          "UK_PROBE=\xff\xfe ok"});
    INFO(result.err);
    CHECK(result.status == 0); // atoi("caf\xe9") is 0
    CHECK(result.out.find("probe: argv[2]=caf\xe9\n") != std::string::npos);
    CHECK(result.out.find("probe: UK_PROBE=\xff\xfe ok\n") != std::string::npos);

    std::ofstream(uk.work() / "na\xefve.txt") << "x";
    uk::test::write_text(uk.work() / "uk.json", R"({"Program": ")" UK_TEST_PROBE R"(", "Files": ["na)" "\xef" R"(ve.txt"],
                                                     "Args": ["\u00e9", "raw )" "\xe9" R"("]})");
    auto listing = uk.run({"build", "--list", "--json"});
    REQUIRE(listing.status == 0);
    CHECK_NOTHROW(nlohmann::json::parse(listing.out));
    auto built = uk.run({"build", "--json"});
    REQUIRE(built.status == 0);
    auto inspected = uk.run({"image", "inspect", "probe", "--json"});
    REQUIRE(inspected.status == 0);
    auto image = nlohmann::json::parse(inspected.out);
    CHECK(image["args"][0] == "\u00e9");
}

TEST_CASE("found at build time, not in the guest: a program cut short, a too large argument, too much memory", "[e2e]")
{
    UkCli uk;
    auto head = uk::test::read_text(UK_TEST_GO_SERVER).substr(0, 100);
    uk::test::write_text(uk.work() / "cut", head);
    std::filesystem::permissions(uk.work() / "cut", std::filesystem::perms(0755));
    auto cut = uk.run({"build", (uk.work() / "cut").string()});
    CHECK(cut.status == 65);
    CHECK(cut.error_lines() == std::vector<std::string>{"uk: error: " + (uk.work() / "cut").string() +
                                                        " is a damaged ELF file (its program headers go past the end "
                                                        "of the file: cut short?)"});

    uk::test::write_text(uk.work() / "uk.json",
                         R"({"Program": ")" UK_TEST_PROBE R"(", "Args": [")" + std::string(200'000, 'a') + R"("]})");
    auto big = uk.run({"build"});
    CHECK(big.status == 65);
    CHECK(big.error_lines() == std::vector<std::string>{"uk: error: argument 1 is 200000 bytes, over the 131071 bytes "
                                                        "Linux takes for one argument: pass it in a file (Files) "
                                                        "instead"});
    CHECK(names_in(uk.home() / "images").empty());

    auto memory = uk.run({"run", UK_TEST_PROBE, "--mem", "999999G"});
    CHECK(memory.status == 2);
    REQUIRE(memory.error_lines().size() == 1);
    CHECK(memory.error_lines()[0].starts_with("uk: error: --mem 999999G is more than this machine's "));
    CHECK(uk.instances().empty());
}

TEST_CASE("uk run -d is ready when the guest accepts, even for a server that answers and hangs up at once", "[e2e]")
{
    UkCli uk;
    auto port = uk::test::free_tcp_port();
    auto started = uk.run({"run", "-d", "--name", "hello", UK_TEST_PROBE, "--accel", "tcg", "-a", "hello", "-a",
                           "8080", "-p", std::to_string(port) + ":8080", "--ready-timeout", "60s"},
                          120s);
    INFO(started.err);
    CHECK(started.status == 0);
    CHECK(started.out == "hello\n");
    CHECK(uk.run({"instance", "stop", "hello"}).status == 0);
}

TEST_CASE("a run with --name whose guest failed stays listed, can be removed, and the name is free again", "[e2e]")
{
    UkCli uk;
    uk.set_environment({"UK_QEMU=" UK_TEST_FAKE_QEMU, "FAKE_QEMU_TCG=guest-panicked"});
    CHECK(uk.run({"run", UK_TEST_PROBE, "--accel", "tcg", "--name", "box"}).status == 70);
    CHECK(uk.run({"ps", "-q"}).out == "box\n");
    auto again = uk.run({"run", UK_TEST_PROBE, "--accel", "tcg", "--name", "box"});
    CHECK(again.status == 69);
    CHECK(uk.run({"instance", "rm", "box"}).status == 0);
    uk.set_environment({"UK_QEMU=" UK_TEST_FAKE_QEMU});
    CHECK(uk.run({"run", UK_TEST_PROBE, "--accel", "tcg", "--name", "box"}).status == 0);
    CHECK(uk.instances().empty());
}
