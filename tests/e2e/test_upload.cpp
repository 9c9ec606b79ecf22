// uk image create --upload against a real S3 server running locally (s3rver), never a
// mock: the object downloaded back has the image's SHA-256, in one PUT and in parts.
#include "core/process.hpp"
#include "core/sha256.hpp"
#include "e2e/uk_cli.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <thread>

using namespace std::chrono_literals;
using uk::test::UkCli;

namespace {

// s3rver on a free port with one bucket, "images"; its credentials are S3RVER/S3RVER.
class LocalS3 {
public:
    explicit LocalS3(const uk::test::TempDir& dir) : port_(uk::test::free_tcp_port())
    {
        std::filesystem::create_directories(dir / "s3-data");
        auto process = uk::Process::spawn({.argv = {UK_TEST_S3RVER, "-d", (dir / "s3-data").string(), "-a",
                                                    "127.0.0.1", "-p", std::to_string(port_), "--silent",
                                                    "--configure-bucket", "images"},
                                           .stdin_stream = uk::DevNull{},
                                           .stdout_stream = dir / "s3.log",
                                           .merge_stderr_into_stdout = true});
        REQUIRE(process);
        process_.emplace(std::move(*process));
        for (int i = 0; i < 300 && !uk::test::http_get("127.0.0.1", port_, "/images", 1s); i++)
            std::this_thread::sleep_for(100ms);
    }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::uint16_t port() const { return port_; }

private:
    std::uint16_t port_;
    std::optional<uk::Process> process_; // killed with this object
};

std::vector<std::string> keys(const std::string& id, const std::string& secret)
{
    return {"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret};
}

} // namespace

TEST_CASE("upload to a local S3 server, in one piece and in parts, and download the same bytes", "[e2e]")
{
    UkCli uk;
    LocalS3 s3(uk.work());
    for (const auto& [key, part_size] : {std::pair{"single/web.img", "16M"}, std::pair{"parts/web.img", "5M"}}) {
        INFO(key);
        uk.set_environment(keys("S3RVER", "S3RVER"));
        auto result = uk.run({"image", "create", UK_TEST_GO_SERVER, "-t", "raw", "-n", "web",
                                        "-o", uk.work().path().string(), "--upload", std::string("s3://images/") + key,
                                        "--endpoint", s3.endpoint(), "--part-size", part_size});
        INFO(result.err);
        REQUIRE(result.status == 0);
        CHECK(result.out.find(std::string("uploaded s3://images/") + key + "\n") != std::string::npos);
        auto local = uk::sha256_file(uk.work() / "web.img").value();
        auto downloaded = uk::test::http_get("127.0.0.1", s3.port(), std::string("/images/") + key, 30s);
        REQUIRE(downloaded);
        CHECK(downloaded->status == 200);
        CHECK(uk::sha256_hex(std::as_bytes(std::span(downloaded->body.data(), downloaded->body.size()))) == local);
    }
}

TEST_CASE("upload mistakes: wrong credentials, a missing bucket, a bad URL, no credentials", "[e2e]")
{
    UkCli uk;
    LocalS3 s3(uk.work());
    auto image = (uk.work() / "web.img").string();
    auto create = [&](const std::string& id, const std::string& url) {
        uk.set_environment(keys(id, "S3RVER"));
        return uk.run({"image", "create", UK_TEST_GO_SERVER, "-t", "raw", "-n", "web", "-o", uk.work().path().string(),
                       "--upload", url, "--endpoint", s3.endpoint()});
    };
    auto wrong = create("NOT-A-KEY", "s3://images/web.img");
    CHECK(wrong.status == 69);
    CHECK(wrong.error_lines() ==
          std::vector<std::string>{"uk: error: S3 refused the credentials for s3://images/web.img (InvalidAccessKeyId): "
                                   "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile) and the bucket's "
                                   "permissions (the image is at " + image + ")"});
    auto missing = create("S3RVER", "s3://no-such-bucket/web.img");
    CHECK(missing.status == 66);
    CHECK(missing.error_lines() ==
          std::vector<std::string>{"uk: error: bucket no-such-bucket does not exist at " + s3.endpoint() +
                                   ": create it first, or check --endpoint and --region (the image is at " + image + ")"});
    auto bad_url = create("S3RVER", "https://images/web.img");
    CHECK(bad_url.status == 2);
    CHECK(bad_url.error_lines() == std::vector<std::string>{"uk: error: --upload https://images/web.img: expected "
                                                            "s3://BUCKET/KEY (or s3://BUCKET/PREFIX/)"});
    uk.set_environment({});
    auto no_credentials = uk.run({"image", "create", UK_TEST_GO_SERVER, "-t", "raw", "--upload", "s3://images/x"});
    CHECK(no_credentials.status == 66);
    REQUIRE(no_credentials.error_lines().size() == 1);
    CHECK(no_credentials.error_lines()[0] ==
          "uk: error: no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a [default] profile "
          "to " + (uk.home() / "no-aws-credentials").string());
}
