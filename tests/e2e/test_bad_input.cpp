// Every bad input: one clear line on stderr, a documented status, nothing left behind.
#include "e2e/uk_cli.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using uk::test::UkCli;

namespace {

void check_one_error_line(const uk::test::UkResult& result, int status, const std::string& message)
{
    INFO(result.err);
    CHECK(result.status == status);
    REQUIRE(result.error_lines().size() == 1);
    CHECK(result.error_lines()[0] == "uk: error: " + message);
}

} // namespace

TEST_CASE("a file that is not a program: one line, status 65, no image", "[e2e]")
{
    UkCli uk;
    auto notes = uk.work() / "notes.txt";
    uk::test::write_text(notes, "shopping list\n");
    check_one_error_line(uk.run({"build", notes.string()}), 65,
                         notes.string() + " is not an ELF executable: uk packs compiled x86-64 and arm64 Linux programs");
    check_one_error_line(uk.run({"run", notes.string(), "-p", "18080"}), 65,
                         notes.string() + " is neither a Linux program (x86-64 or arm64) nor a uk image");
    CHECK(uk.images().empty());
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("a port already in use: one line, status 69, no image and no VM", "[e2e]")
{
    UkCli uk;
    uk::test::ListeningPort listening;
    auto port = std::to_string(listening.port());
    auto result = uk.run({"run", UK_TEST_GO_SERVER, "-p", port + ":8080"});
    check_one_error_line(result, 69,
                         "port 127.0.0.1:" + port +
                             "/tcp is already in use on this machine: stop what uses it or publish another port (-p "
                             "OTHER:8080)");
    CHECK(uk.images().empty());
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("usage mistakes: one line, status 2", "[e2e]")
{
    UkCli uk;
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "--mem", "16M"}), 2,
                         "--mem 16M is below the 24M that uk's kernel needs to boot: give --mem 24M or more");
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "--mem", "lots"}), 2,
                         "--mem: expected a size like \"128M\" or \"1G\", got \"lots\"");
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-p", "http"}), 2,
                         "-p http: \"http\" is not a port from 1 to 65535; expected [IP:]HOST[:GUEST][/tcp|/udp], "
                         "e.g. 8080 or 8080:80");
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "--accel", "hvf"}), 2,
                         "--accel: expected \"auto\", \"kvm\" or \"tcg\", got \"hvf\"");
    check_one_error_line(uk.run({"build", UK_TEST_PROBE, "-n", "Bad Name"}), 2,
                         "image name \"Bad Name\" is not valid: use 1 to 64 lower-case letters, digits, '.', '_' or "
                         "'-', starting with a letter or digit");
    check_one_error_line(uk.run({"build"}), 2,
                         "PROGRAM is required: give it (uk build PROGRAM) or set Program in ./uk.json or in the file "
                         "given with -c");
    check_one_error_line(uk.run({"run"}), 2,
                         "nothing to run: give a program or image (uk run TARGET), or set Program in ./uk.json or in "
                         "the file given with -c");
    check_one_error_line(uk.run({"frobnicate"}), 2, "The following argument was not expected: frobnicate (see 'uk --help')");
    CHECK(uk.images().empty());
}

TEST_CASE("things that do not exist: one line, status 66", "[e2e]")
{
    UkCli uk;
    auto missing = uk.work() / "server";
    check_one_error_line(uk.run({"build", missing.string()}), 66, "program " + missing.string() + " does not exist");
    check_one_error_line(uk.run({"run", "nothing-here"}), 66,
                         "nothing-here is neither a file nor an image in " + (uk.home() / "images").string() +
                             ": give a program or image path, or build it first with uk build");
}

TEST_CASE("QEMU missing: one line that says how to get it, status 69", "[e2e]")
{
    UkCli uk;
    auto result = uk.run({"run", UK_TEST_PROBE}); // sanity: works with QEMU
    REQUIRE(result.status == 0);
    auto no_qemu = uk::test::run_tool({"env", "UK_HOME=" + uk.home().path().string(), "UK_QEMU=/nonexistent/qemu",
                                       UkCli::binary(), "run", UK_TEST_PROBE});
    CHECK(no_qemu.status == 69);
    CHECK(no_qemu.output == "uk: error: UK_QEMU is set to /nonexistent/qemu, which is not an executable file\n");
}

TEST_CASE("config mistakes: one line with file, line and column, status 65, no image", "[e2e]")
{
    UkCli uk;
    uk::test::write_text(uk.work() / "uk.json", "{\n  \"Program\": \"" + std::string(UK_TEST_PROBE) +
                                                    "\",\n  \"RunConfig\": {\"Memroy\": \"64M\"}\n}\n");
    check_one_error_line(uk.run({"build"}), 65, "uk.json:3:17: RunConfig.Memroy: unknown field; did you mean Memory?");
    check_one_error_line(uk.run({"run"}), 65, "uk.json:3:17: RunConfig.Memroy: unknown field; did you mean Memory?");
    uk::test::write_text(uk.work() / "broken.json", "{\"Program\": \"x\"");
    check_one_error_line(uk.run({"build", "-c", "broken.json"}), 65, "broken.json:1:16: expected ',' or '}'");
    check_one_error_line(uk.run({"build", "-c", "absent.json"}), 66, "config file absent.json does not exist");
    CHECK(uk.images().empty());
}

TEST_CASE("a file the config names is missing: one line, status 66, no image", "[e2e]")
{
    UkCli uk;
    uk::test::write_text(uk.work() / "app.json", "{\"Program\": \"" + std::string(UK_TEST_PROBE) +
                                                     "\", \"Files\": [\"data/table.csv\"]}");
    check_one_error_line(uk.run({"build", "-c", "app.json"}), 66,
                         "Files: data/table.csv does not exist (looked at " + (uk.work() / "data/table.csv").string() +
                             ")");
    CHECK(uk.images().empty());
}

TEST_CASE("a library that cannot be found: one line naming it, status 66, no image", "[e2e]")
{
    UkCli uk;
    auto program = uk.work() / "needs-lib";
    std::filesystem::copy_file(UK_TEST_NEEDS_LIB, program); // without its lib/ folder
    auto result = uk.run({"build", program.string()});
    INFO(result.err);
    CHECK(result.status == 66);
    REQUIRE(result.error_lines().size() == 1);
    CHECK(result.error_lines()[0].starts_with("uk: error: cannot find libuktest.so.1, needed by " + program.string() +
                                              ": looked on this machine in " + (uk.work() / "lib").string()));
    CHECK(uk.images().empty());
}

TEST_CASE("ops settings uk has no use for: a warning each, and the build goes on", "[e2e]")
{
    UkCli uk;
    uk::test::write_text(uk.work() / "config.json", "{\"Program\": \"" + std::string(UK_TEST_PROBE) +
                                                        "\", \"Klibs\": [\"ntp\"], \"RunConfig\": {\"Bridged\": false}}");
    auto result = uk.run({"build", "-c", "config.json", "-q"});
    INFO(result.err);
    CHECK(result.status == 0);
    CHECK(result.error_lines() ==
          std::vector<std::string>{"uk: warning: config.json:1:" + std::to_string(17 + std::string(UK_TEST_PROBE).size()) +
                                   ": Klibs is an ops setting uk does not use; ignored"});
    CHECK(uk.images() == std::vector<std::string>{"probe.img"});
}

TEST_CASE("bad volumes and mounts: one line each, nothing made", "[e2e]")
{
    UkCli uk;
    const std::string expected = "; expected NAME:/path or /host/folder:/path, with :ro to mount read-only";
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-v", "data"}), 2,
                         "-v data: \"data\" has no ':' between what to mount and where" + expected);
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-v", "data:data"}), 2,
                         "-v data:data: the guest path \"data\" is not absolute" + expected);
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-v", "data:/data:rx"}), 2,
                         "-v data:/data:rx: unknown option \"rx\" (ro or rw)" + expected);
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-v", "Data:/data"}), 2,
                         "volume name \"Data\" is not valid: use 1 to 64 lower-case letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit");
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-v", "a:/data", "-v", "b:/data"}), 2,
                         "two mounts at /data: a:/data and b:/data");
    auto missing = uk.work() / "missing";
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-v", missing.string() + ":/srv"}), 66,
                         missing.string() + ":/srv: the host folder " + missing.string() +
                             " does not exist: create it, or correct the path");
    check_one_error_line(uk.run({"volume", "create", "../escape"}), 2,
                         "volume name \"../escape\" is not valid: use 1 to 64 lower-case letters, digits, '.', '_' or "
                         "'-', starting with a letter or digit");
    check_one_error_line(uk.run({"volume", "create", "tiny", "--size", "1M"}), 2,
                         "a volume's size must be from 16M to 16T, got 1M");
    check_one_error_line(uk.run({"volume", "create", "copy", "--from", missing.string()}), 66,
                         "--from " + missing.string() + ": no such folder");
    check_one_error_line(uk.run({"volume", "inspect", "nope"}), 66,
                         "no volume named nope: see uk volume ls, or make it with uk volume create nope");
    check_one_error_line(uk.run({"volume", "rm", "nope"}), 66,
                         "no volume named nope: see uk volume ls, or make it with uk volume create nope");
    REQUIRE(uk.run({"volume", "create", "data", "--size", "16M"}).status == 0);
    check_one_error_line(uk.run({"volume", "create", "data"}), 69,
                         "volume data already exists: see uk volume inspect data");
    CHECK(uk::test::names_in(uk.home() / "volumes") == std::vector<std::string>{"data"});
    CHECK(uk.instances().empty());
    CHECK(uk.running_qemus().empty());
}

TEST_CASE("bad OCI images and references: one line each, no image, nothing left in the cache", "[e2e][oci]")
{
    UkCli uk;
    // A small layout of the Go server, made as a user would with umoci.
    auto made = uk::test::run_tool(
        {"sh", "-ec",
         "cd \"$0\"; umoci init --layout go; umoci new --image go:v1; umoci unpack --rootless --image go:v1 b; "
         "mkdir -p b/rootfs/bin; cp \"$1\" b/rootfs/bin/server; umoci repack --image go:v1 b; "
         "umoci config --image go:v1 --config.entrypoint /bin/server; "
         "cp -r go arm; umoci config --image arm:v1 --architecture arm64; "
         "cp -r go gone; umoci config --image gone:v1 --config.entrypoint /bin/gone",
         uk.work().path().string(), UK_TEST_GO_SERVER});
    INFO(made.output);
    REQUIRE(made.status == 0);
    auto layout = (uk.work() / "go").string();
    check_one_error_line(uk.run({"build", "--from-image", "oci:" + layout + ":v9"}), 66,
                         "oci:" + layout + ":v9 has no image tagged v9 (it has v1)");
    check_one_error_line(uk.run({"build", "--from-image", "oci:" + (uk.work() / "gone").string() + ":v1"}), 66,
                         "oci:" + (uk.work() / "gone").string() +
                             ":v1 has no /bin/gone: give the program to run as a path in the image");
    check_one_error_line(uk.run({"build", "--from-image", "oci:" + layout + ":v1", "/bin"}), 65,
                         "/bin in oci:" + layout + ":v1 is not an executable file: give the program to run as a path "
                                                   "in the image");
    check_one_error_line(uk.run({"build", "--from-image", "oci:" + (uk.work() / "arm").string() + ":v1"}), 65,
                         "oci:" + (uk.work() / "arm").string() +
                             ":v1 is a linux/arm64 image: uk runs linux/amd64 (x86-64) programs");
    check_one_error_line(uk.run({"build", "--from-image", "oci:" + layout + ":v1", "--sysroot", "/"}), 2,
                         "--sysroot goes with a program from this machine: oci:" + layout +
                             ":v1 brings its own libraries");
    check_one_error_line(uk.run({"build", "--from-image", "docker://Team/App"}), 2,
                         "image reference \"docker://Team/App\": \"Team/App\" is not a repository name (lower-case "
                         "letters, digits, . _ - /); expected oci:PATH[:TAG], oci-archive:PATH[:TAG], "
                         "docker-archive:PATH or docker://HOST/NAME[:TAG|@sha256:DIGEST]");
    auto nobody = std::to_string(uk::test::free_tcp_port());
    check_one_error_line(uk.run({"run", "docker://127.0.0.1:" + nobody + "/app:1", "--tls-verify=false"}), 69,
                         "cannot reach registry 127.0.0.1:" + nobody +
                             " (Couldn't connect to server) to read from it: check the address and that the registry "
                             "is up");
    check_one_error_line(uk.run({"image", "push", "web", "oci:" + layout}), 2,
                         "oci:" + layout + ": uk image push sends images to a registry: give docker://HOST/REPO:TAG");

    // A layer whose bytes changed after its manifest named it.
    auto index = nlohmann::json::parse(uk::test::read_text(uk.work() / "go/index.json"));
    auto manifest_file = uk.work() / "go/blobs/sha256" / index["manifests"][0]["digest"].get<std::string>().substr(7);
    auto manifest = nlohmann::json::parse(uk::test::read_text(manifest_file));
    auto layer = manifest["layers"][0]["digest"].get<std::string>();
    auto layer_file = uk.work() / "go/blobs/sha256" / layer.substr(7);
    std::filesystem::permissions(layer_file, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    uk::test::write_text(layer_file, "not what the manifest says");
    auto tampered = uk.run({"build", "--from-image", "oci:" + layout + ":v1"});
    CHECK(tampered.status == 65);
    REQUIRE(tampered.error_lines().size() == 1);
    CHECK(tampered.error_lines()[0].find(layer) != std::string::npos);

    CHECK(uk.images().empty());
    CHECK(uk::test::names_in(uk.home() / "cache/oci/tmp").empty());
}

TEST_CASE("debugging and restarting mistakes: one line each", "[e2e]")
{
    UkCli uk;
    uk::test::ListeningPort taken;
    auto port = std::to_string(taken.port());
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "--gdb=" + port}), 69,
                         "port 127.0.0.1:" + port +
                             " for the gdb stub is in use on this machine, or cannot be opened: give another with "
                             "--gdb=PORT");
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "--gdb=gdb"}), 2, "--gdb=gdb: expected a port from 1 to 65535");
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-d", "--missing-files"}), 2,
                         "--missing-files goes with an attached run: the report comes when the program ends");
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-d", "--restart", "sometimes"}), 2,
                         "--restart: expected \"no\", \"on-failure[:MAX]\", \"always\" or \"unless-stopped\", got "
                         "\"sometimes\"");
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "-d", "--restart", "on-failure:many"}), 2,
                         "--restart: on-failure:many: expected a whole number of restarts after the colon");
    check_one_error_line(uk.run({"run", UK_TEST_PROBE, "--restart", "always"}), 2,
                         "--restart always goes with -d: a detached instance's monitor restarts it, while an attached "
                         "run ends with its program");
    auto missing = uk.run({"instance", "start", "nosuch"});
    CHECK(missing.status == 66);
    CHECK(missing.error_lines().size() == 1);
    CHECK(uk.instances().empty());
    CHECK(uk.running_qemus().empty());
}
