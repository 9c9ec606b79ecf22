// OCI and Docker images as a user brings them: an OCI layout made with umoci, a docker
// save tarball made with skopeo, a local registry (Debian's docker-registry, plain HTTP on
// a free port), a two-layer Node.js image with a whiteout, and a uk image pushed to the
// registry as a KubeVirt containerDisk and read back. Nothing leaves the machine.
#include "core/process.hpp"
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>

using namespace std::chrono_literals;
using uk::test::UkCli;

namespace {

// The images of tests/e2e/oci/make-images.sh, made once per test in the test's folder.
std::filesystem::path make_images(const UkCli& uk)
{
    auto out = uk.work() / "images";
    auto made = uk::test::run_tool({UK_TEST_SOURCE_DIR "/tests/e2e/oci/make-images.sh", out.string(), UK_TEST_GO_SERVER,
                                    UK_TEST_SOURCE_DIR "/tests/workloads/node-server"});
    INFO(made.output);
    REQUIRE(made.status == 0);
    return out;
}

// docker-registry on a free port of 127.0.0.1, storing in the test's folder; killed
// with the test.
class LocalRegistry {
public:
    explicit LocalRegistry(const std::filesystem::path& folder) : port_(uk::test::free_tcp_port())
    {
        auto config = folder / "registry.yml";
        uk::test::write_text(config, "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " +
                                         (folder / "storage").string() + "\nhttp:\n  addr: 127.0.0.1:" +
                                         std::to_string(port_) + "\n");
        auto started = uk::Process::spawn({.argv = {"docker-registry", "serve", config.string()},
                                           .stdout_stream = folder / "registry.log",
                                           .stderr_stream = folder / "registry.log"});
        REQUIRE(started);
        process_.emplace(std::move(*started));
        bool up = uk::test::eventually(
            [&] {
                auto answer = uk::test::http_get("127.0.0.1", port_, "/v2/");
                return (answer && answer->status == 200) || process_->poll().has_value();
            },
            30s);
        REQUIRE(up);
        REQUIRE(process_->running());
    }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

private:
    std::uint16_t port_;
    std::optional<uk::Process> process_; // killed when this goes
};

// Boots `target`, publishing guest port `guest_port`, and returns what GET `path` answers.
std::string serve_once(UkCli& uk, std::vector<std::string> args, int guest_port, const std::vector<std::string>& paths)
{
    auto port = uk::test::free_tcp_port();
    args.insert(args.end(), {"-p", std::to_string(port) + ":" + std::to_string(guest_port), "--mem", "128M"});
    auto run = uk.start(args);
    auto [response, why] = uk.wait_for_http_ok(run, port, paths.front(), 180s);
    INFO(why + "\n" + uk.started_errors());
    REQUIRE(response);
    std::string answers = response->body;
    for (std::size_t i = 1; i < paths.size(); i++) {
        auto more = uk::test::http_get("127.0.0.1", port, paths[i], 10s);
        answers += more ? more->body : "(no answer to " + paths[i] + ")\n";
    }
    run.send_signal(SIGINT);
    auto status = run.wait_for(60s);
    INFO(uk.started_output() + uk.started_errors());
    CHECK(status);
    CHECK(uk.running_qemus().empty());
    return answers;
}

} // namespace

TEST_CASE("an OCI layout, a docker save tarball and a registry each run with the image's Cmd, Env, WorkingDir and User",
          "[e2e][oci]")
{
    UkCli uk;
    auto images = make_images(uk);
    const std::string expected = "from-cmd\n/app\n1000:1000\n";

    // From the OCI layout: uk run builds it first; `uk image inspect` shows its ports.
    CHECK(serve_once(uk, {"run", "oci:" + (images / "go").string() + ":v1"}, 9090, {"/", "/cwd", "/uid"}) == expected);
    auto inspected = uk.run({"image", "inspect", "go", "--json"});
    REQUIRE(inspected.status == 0);
    auto info = nlohmann::json::parse(inspected.out);
    CHECK(info["from_image"]["exposed_ports"] == nlohmann::json::array({"9090/tcp"}));
    CHECK(info["manifest"]["uid"] == 1000);

    // From a docker save tarball made with skopeo.
    auto archive = uk.work() / "go.tar";
    auto copied = uk::test::run_tool({"skopeo", "copy", "-q", "oci:" + (images / "go").string() + ":v1",
                                      "docker-archive:" + archive.string() + ":team/go:v1"});
    INFO(copied.output);
    REQUIRE(copied.status == 0);
    auto built = uk.run({"build", "--from-image", "docker-archive:" + archive.string(), "-n", "from-archive"});
    INFO(built.err);
    REQUIRE(built.status == 0);
    CHECK(serve_once(uk, {"run", "from-archive"}, 9090, {"/", "/cwd", "/uid"}) == expected);

    // From a registry; the second build reads its layers from uk's cache.
    LocalRegistry registry(uk.work().path());
    auto reference = "docker://" + registry.host() + "/team/go:v1";
    auto pushed = uk::test::run_tool({"skopeo", "copy", "-q", "--dest-tls-verify=false",
                                      "oci:" + (images / "go").string() + ":v1", reference});
    INFO(pushed.output);
    REQUIRE(pushed.status == 0);
    auto refused = uk.run({"build", "--from-image", reference});
    CHECK(refused.status != 0);
    CHECK(refused.error_lines().back().find("--tls-verify=false") != std::string::npos);
    CHECK(serve_once(uk, {"run", reference, "--tls-verify=false", "-e", "PORT=9191"}, 9191, {"/", "/cwd", "/uid"}) ==
          expected);
    auto pulled = uk.run({"image", "pull", reference, "--tls-verify=false", "--json"});
    INFO(pulled.err);
    REQUIRE(pulled.status == 0);
    auto pull = nlohmann::json::parse(pulled.out);
    REQUIRE(pull["layers"].size() == 1);
    auto layer = pull["layers"][0]["digest"].get<std::string>();
    CHECK(std::filesystem::exists(uk.home() / "cache/oci/blobs/sha256" / layer.substr(7)));
}

TEST_CASE("a two-layer Node.js image: the upper layer's file wins and its whiteout leaves nothing", "[e2e][oci]")
{
    UkCli uk;
    auto images = make_images(uk);
    auto built = uk.run({"build", "--from-image", "oci:" + (images / "node").string() + ":v1", "--json"});
    INFO(built.err);
    REQUIRE(built.status == 0);
    auto result = nlohmann::json::parse(built.out);
    CHECK(result["from_image"]["layers"].size() == 2);
    auto inspected = uk.run({"image", "inspect", "node", "--json"});
    REQUIRE(inspected.status == 0);
    auto info = nlohmann::json::parse(inspected.out);
    std::vector<std::string> app_files;
    for (const auto& file : info["files"])
        if (file["path"].get<std::string>().starts_with("/app/"))
            app_files.push_back(file["path"]);
    CHECK(app_files == std::vector<std::string>{"/app/greeting.txt", "/app/server.js"});
    CHECK(serve_once(uk, {"run", "node"}, 8080, {"/greeting"}) == "from the upper layer / from-image-env\n");
    // uk run builds from the reference itself, with -e over the image's Env.
    CHECK(serve_once(uk, {"run", "oci:" + (images / "node").string() + ":v1", "-e", "GREETING=from-flag"}, 8080,
                     {"/greeting"}) == "from the upper layer / from-flag\n");
}

TEST_CASE("uk image push writes a containerDisk a registry serves, and uk reads it back", "[e2e][oci]")
{
    UkCli uk;
    auto built = uk.run({"build", UK_TEST_GO_SERVER, "-n", "web"});
    INFO(built.err);
    REQUIRE(built.status == 0);
    LocalRegistry registry(uk.work().path());
    auto reference = "docker://" + registry.host() + "/disks/web:1";
    auto pushed = uk.run({"image", "push", "web", reference, "--tls-verify=false", "--json"});
    INFO(pushed.err);
    REQUIRE(pushed.status == 0);
    auto push = nlohmann::json::parse(pushed.out);
    CHECK(push["format"] == "qcow2");

    // An independent reader: skopeo copies it into a layout, whose one layer holds the disk.
    auto layout = uk.work() / "pulled";
    auto copied = uk::test::run_tool({"skopeo", "copy", "-q", "--src-tls-verify=false", reference, "oci:" + layout.string() + ":1"});
    INFO(copied.output);
    REQUIRE(copied.status == 0);
    auto layer = push["layers"][0]["digest"].get<std::string>().substr(7);
    auto listing = uk::test::run_tool({"tar", "tzvf", (layout / "blobs/sha256" / layer).string()});
    REQUIRE(listing.status == 0);
    CHECK(listing.output.find("107/107") != std::string::npos);
    CHECK(listing.output.find(" disk/disk.qcow2\n") != std::string::npos);
    auto qcow2 = uk::test::run_tool({"sh", "-c", "tar xzOf " + (layout / "blobs/sha256" / layer).string() +
                                                     " disk/disk.qcow2 | head -c 4"});
    CHECK(qcow2.output == "QFI\xfb");

    // Pushing again sends no layer the registry has.
    auto again = uk.run({"image", "push", "web", reference, "--tls-verify=false"});
    CHECK(again.status == 0);
    CHECK(again.out.find("which the registry had already") != std::string::npos);

    // uk run boots it straight from the registry; uk image pull puts it in the store.
    CHECK(serve_once(uk, {"run", reference, "--tls-verify=false"}, 8080, {"/"}) == "hello from uk\n");
    auto pulled = uk.run({"image", "pull", reference, "--tls-verify=false", "-n", "back"});
    INFO(pulled.err);
    REQUIRE(pulled.status == 0);
    auto inspected = uk.run({"image", "inspect", "back", "--json"});
    REQUIRE(inspected.status == 0);
    CHECK(nlohmann::json::parse(inspected.out)["firmware_bootable"] == true);
}
