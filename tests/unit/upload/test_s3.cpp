// SigV4 against AWS's own published examples, credentials as the AWS tools find them, and
// s3:// URLs.
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"
#include "upload/credentials.hpp"
#include "upload/s3.hpp"
#include "upload/sigv4.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace uk::upload;

namespace {

// The example credentials and time of AWS's "Signature Calculations for the Authorization
// Header" examples for S3.
const Credentials aws_example{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string signature_of(const std::map<std::string, std::string>& headers)
{
    const auto& authorization = headers.at("authorization");
    return authorization.substr(authorization.find("Signature=") + 10);
}

uk::state::Environment environment_of(std::map<std::string, std::string> values)
{
    return [values](const std::string& name) -> std::optional<std::string> {
        auto found = values.find(name);
        return found == values.end() ? std::nullopt : std::optional<std::string>(found->second);
    };
}

} // namespace

TEST_CASE("sigv4: AWS's GET Bucket (List Objects) and GET Bucket Lifecycle examples", "[unit][upload]")
{
    SignedRequest list{.method = "GET", .host = "examplebucket.s3.amazonaws.com", .path = "/",
                       .query = {{"prefix", "J"}, {"max-keys", "2"}}, .payload_sha256 = empty_sha256,
                       .region = "us-east-1", .amz_date = "20130524T000000Z"};
    auto headers = sign(list, aws_example);
    CHECK(signature_of(headers) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    CHECK(headers.at("authorization").starts_with(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="));

    SignedRequest lifecycle = list;
    lifecycle.query = {{"lifecycle", ""}};
    CHECK(signature_of(sign(lifecycle, aws_example)) ==
          "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

    auto with_token = sign(list, {aws_example.access_key_id, aws_example.secret_access_key, "TOKEN"});
    CHECK(with_token.at("x-amz-security-token") == "TOKEN");
    CHECK(with_token.at("authorization").find("x-amz-security-token") != std::string::npos);
}

TEST_CASE("sigv4: encoding keeps only unreserved characters, and slashes in paths", "[unit][upload]")
{
    CHECK(uri_encode("a-b_c.d~e", false) == "a-b_c.d~e");
    CHECK(uri_encode("images/web 1.tar.gz", true) == "images/web%201.tar.gz");
    CHECK(uri_encode("a/b+c=", false) == "a%2Fb%2Bc%3D");
    CHECK(canonical_query({{"uploadId", "a/b+c=="}, {"partNumber", "2"}}) == "partNumber=2&uploadId=a%2Fb%2Bc%3D%3D");
    CHECK(canonical_query({{"uploads", ""}}) == "uploads=");
}

TEST_CASE("s3 urls: bucket and key, a prefix takes the file's name", "[unit][upload]")
{
    auto full = parse_s3_url("s3://my-bucket/images/web.img", "ignored.img");
    REQUIRE(full);
    CHECK(full->bucket == "my-bucket");
    CHECK(full->key == "images/web.img");
    CHECK(parse_s3_url("s3://my-bucket/images/", "web.tar.gz")->key == "images/web.tar.gz");
    CHECK(parse_s3_url("s3://my-bucket", "web.vhd")->key == "web.vhd");
    for (const char* bad : {"https://my-bucket/x", "s3://", "s3://My_Bucket/x"}) {
        INFO(bad);
        auto parsed = parse_s3_url(bad, "web.img");
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().message == "--upload " + std::string(bad) + ": expected s3://BUCKET/KEY (or s3://BUCKET/PREFIX/)");
    }
}

TEST_CASE("credentials: the environment first, then the profile of the credentials file", "[unit][upload]")
{
    auto from_environment = find_credentials(environment_of({{"AWS_ACCESS_KEY_ID", "AK"}, {"AWS_SECRET_ACCESS_KEY", "SK"},
                                                             {"AWS_SESSION_TOKEN", "ST"}}));
    REQUIRE(from_environment);
    CHECK(from_environment->access_key_id == "AK");
    CHECK(from_environment->session_token == "ST");

    uk::test::TempDir dir;
    uk::test::write_text(dir / "credentials", "[default]\naws_access_key_id = DEF\naws_secret_access_key = DEFSK\n\n"
                                              "# a comment\n[ci]\naws_access_key_id=CI\naws_secret_access_key=CISK\n");
    auto file = (dir / "credentials").string();
    auto by_default = find_credentials(environment_of({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
    REQUIRE(by_default);
    CHECK(by_default->access_key_id == "DEF");
    CHECK(by_default->secret_access_key == "DEFSK");
    auto ci = find_credentials(environment_of({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "ci"}}));
    REQUIRE(ci);
    CHECK(ci->access_key_id == "CI");

    auto missing_profile = find_credentials(environment_of({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "prod"}}));
    REQUIRE_FALSE(missing_profile);
    CHECK(missing_profile.error().message == "no profile [prod] in " + file +
                                                 ": set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    auto none = find_credentials(environment_of({{"HOME", dir.path().string()}}));
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a "
                                  "[default] profile to " + (dir / ".aws/credentials").string());

    CHECK(find_region("", environment_of({})) == "us-east-1");
    CHECK(find_region("", environment_of({{"AWS_DEFAULT_REGION", "eu-west-1"}})) == "eu-west-1");
    CHECK(find_region("ap-south-1", environment_of({{"AWS_REGION", "eu-west-1"}})) == "ap-south-1");
}

TEST_CASE("upload: a server that never answers is given up after the stall timeout, tried twice", "[unit][upload]")
{
    uk::test::TempDir dir;
    uk::test::write_text(dir / "image.raw", std::string(4096, 'x'));
    uk::test::SilentServer server;
    UploadOptions options{.endpoint = "http://127.0.0.1:" + std::to_string(server.port()),
                          .stall_timeout = std::chrono::seconds(1)};
    // libcurl judges the speed over a few seconds, so each try lasts about 7 s here.
    auto sent = upload_file(dir / "image.raw", *parse_s3_url("s3://bucket/image.raw", "x"), aws_example, options);
    REQUIRE_FALSE(sent);
    CHECK(sent.error().kind == uk::ErrorKind::unavailable);
    CHECK(sent.error().message.find("after 2 attempts") != std::string::npos);
    CHECK(server.accepted() == 2);
}

TEST_CASE("upload: a stop request ends it at once, even while the server says nothing", "[unit][upload]")
{
    uk::test::TempDir dir;
    uk::test::write_text(dir / "image.raw", std::string(4096, 'x'));
    uk::test::SilentServer server;
    auto start = std::chrono::steady_clock::now();
    UploadOptions options{.endpoint = "http://127.0.0.1:" + std::to_string(server.port()),
                          .cancelled = [&] { return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(300); }};
    auto sent = upload_file(dir / "image.raw", *parse_s3_url("s3://bucket/image.raw", "x"), aws_example, options);
    REQUIRE_FALSE(sent);
    CHECK(sent.error().kind == uk::ErrorKind::interrupted);
    CHECK(sent.error().message == "stopped the upload to s3://bucket/image.raw");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}
