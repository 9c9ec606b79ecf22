#include "upload/s3.hpp"

#include "core/files.hpp"
#include "core/sha256.hpp"
#include "core/units.hpp"

#include <chrono>
#include <cstring>
#include <ctime>
#include <curl/curl.h>
#include <fstream>
#include <map>
#include <memory>
#include <thread>
#include <vector>

namespace uk::upload {
namespace {

constexpr std::uint64_t minimum_part_size = 5ull << 20; // S3's, for every part but the last

struct Endpoint {
    std::string scheme_host; // "https://bucket.s3.eu-west-1.amazonaws.com"
    std::string host;        // "bucket.s3.eu-west-1.amazonaws.com"
    std::string path_prefix; // "" (virtual-hosted) or "/bucket" (path-style)
};

Endpoint endpoint_for(const S3Location& to, const UploadOptions& options)
{
    if (options.endpoint.empty()) {
        auto host = to.bucket + ".s3." + options.region + ".amazonaws.com";
        return {"https://" + host, host, ""};
    }
    auto base = options.endpoint;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    auto after_scheme = base.find("://");
    auto host = after_scheme == std::string::npos ? base : base.substr(after_scheme + 3);
    host = host.substr(0, host.find('/'));
    if (after_scheme == std::string::npos)
        base = "https://" + base;
    // Path-style: what MinIO, Ceph and local servers expect.
    return {base, host, "/" + to.bucket};
}

std::string amz_now() { return format_utc(std::time(nullptr), "%Y%m%dT%H%M%SZ"); }

std::string xml_value(const std::string& xml, const std::string& tag)
{
    auto open = xml.find("<" + tag + ">");
    if (open == std::string::npos)
        return "";
    open += tag.size() + 2;
    auto close = xml.find("</" + tag + ">", open);
    return close == std::string::npos ? "" : xml.substr(open, close - open);
}

struct Response {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers; // lower-case names
    std::string transport_error;                // curl's, when no HTTP answer came
    bool cancelled = false;                     // stopped by UploadOptions::cancelled
    bool stalled = false;                       // no byte moved for the stall timeout
};

size_t collect_body(char* data, size_t size, size_t count, void* out)
{
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

size_t collect_header(char* data, size_t size, size_t count, void* out)
{
    std::string line(data, size * count);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        auto name = line.substr(0, colon);
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
            value.pop_back();
        (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
    }
    return size * count;
}

struct Body {
    const std::string* data;
    std::size_t offset = 0;
};

size_t send_body(char* buffer, size_t size, size_t count, void* in)
{
    auto* body = static_cast<Body*>(in);
    auto n = std::min(size * count, body->data->size() - body->offset);
    std::memcpy(buffer, body->data->data() + body->offset, n);
    body->offset += n;
    return n;
}

int keep_going(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    return (*static_cast<const std::function<bool()>*>(cancelled))() ? 1 : 0;
}

class S3Client {
public:
    S3Client(const S3Location& to, const Credentials& credentials, const UploadOptions& options)
        : to_(to), credentials_(credentials), options_(options), endpoint_(endpoint_for(to, options))
    {
    }

    // One signed request, retried on transport failures, 5xx and 429.
    Result<Response> request(const std::string& method, const std::map<std::string, std::string>& query,
                             const std::string& body)
    {
        Response last;
        int stalls = 0, attempt = 1;
        for (;; attempt++) {
            last = once(method, query, body);
            if (last.cancelled)
                return fail(ErrorKind::interrupted, "stopped the upload to s3://{}/{}", to_.bucket, to_.key);
            bool retry = !last.transport_error.empty() || last.status >= 500 || last.status == 429;
            // A server that takes the connection and then says nothing gets one more try.
            if (!retry || attempt >= options_.attempts || (last.stalled && ++stalls >= 2))
                break;
            auto pause = std::chrono::steady_clock::now() + std::chrono::milliseconds(500 << (attempt - 1));
            while (std::chrono::steady_clock::now() < pause) {
                if (options_.cancelled())
                    return fail(ErrorKind::interrupted, "stopped the upload to s3://{}/{}", to_.bucket, to_.key);
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        if (!last.transport_error.empty())
            return fail(ErrorKind::unavailable, "cannot reach {} ({}) after {} attempts", endpoint_.scheme_host,
                        last.transport_error, attempt);
        return last;
    }

    // The one line a failed answer becomes.
    Error refused(const Response& response, const std::string& what) const
    {
        auto code = xml_value(response.body, "Code");
        auto message = xml_value(response.body, "Message");
        auto where = "s3://" + to_.bucket + "/" + to_.key;
        if (code == "NoSuchBucket" || (response.status == 404 && code.empty()))
            return {ErrorKind::not_found, "bucket " + to_.bucket + " does not exist at " + endpoint_.scheme_host +
                                              ": create it first, or check --endpoint and --region"};
        if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "AccessDenied" ||
            code == "ExpiredToken" || response.status == 403)
            return {ErrorKind::unavailable,
                    "S3 refused the credentials for " + where + " (" + (code.empty() ? "HTTP 403" : code) +
                        "): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile) and the bucket's "
                        "permissions"};
        return {ErrorKind::unavailable, what + " " + where + " failed: HTTP " + std::to_string(response.status) +
                                            (code.empty() ? "" : " " + code) + (message.empty() ? "" : ": " + message)};
    }

    const S3Location& location() const { return to_; }

private:
    Response once(const std::string& method, const std::map<std::string, std::string>& query, const std::string& body)
    {
        auto path = endpoint_.path_prefix + "/" + to_.key;
        auto headers = sign({.method = method,
                             .host = endpoint_.host,
                             .path = path,
                             .query = query,
                             .payload_sha256 = sha256_hex(as_bytes(body)),
                             .region = options_.region,
                             .amz_date = amz_now()},
                            credentials_);
        auto url = endpoint_.scheme_host + uri_encode(path, true);
        if (auto q = canonical_query(query); !q.empty())
            url += "?" + q;

        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
        curl_slist* list = nullptr;
        for (const auto& [name, value] : headers)
            if (name != "host")
                list = curl_slist_append(list, (name + ": " + value).c_str());
        list = curl_slist_append(list, "Expect:");
        std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> free_list(list, curl_slist_free_all);
        Response response;
        Body upload{&body};
        curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect_body);
        curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response.body);
        curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, collect_header);
        curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &response.headers);
        curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
        // No total timeout: a large image on a slow line may take hours. A request in which
        // no byte moves for stall_timeout is given up instead.
        curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
        curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
        // libcurl calls this often (at least once a second) while it waits, so Ctrl-C is
        // noticed at once.
        curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, keep_going);
        curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &options_.cancelled);
        if (method == "PUT") {
            curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, send_body);
            curl_easy_setopt(curl.get(), CURLOPT_READDATA, &upload);
            curl_easy_setopt(curl.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
        } else if (method == "POST") {
            curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
            curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
            curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        } else if (method != "GET") {
            curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
        }
        auto result = curl_easy_perform(curl.get());
        if (result != CURLE_OK) {
            response.transport_error = curl_easy_strerror(result);
            response.cancelled = result == CURLE_ABORTED_BY_CALLBACK;
            response.stalled = result == CURLE_OPERATION_TIMEDOUT;
            return response;
        }
        curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
        return response;
    }

    S3Location to_;
    Credentials credentials_;
    UploadOptions options_;
    Endpoint endpoint_;
};

Result<std::string> read_part(std::ifstream& in, std::uint64_t size, const std::filesystem::path& file)
{
    std::string part(size, '\0');
    in.read(part.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uint64_t>(in.gcount()) != size)
        return fail(ErrorKind::io, "cannot read {} (it changed while uploading?)", file.string());
    return part;
}

} // namespace

Result<S3Location> parse_s3_url(const std::string& url, const std::string& file_name)
{
    auto bad = [&] {
        return fail(ErrorKind::usage, "--upload {}: expected s3://BUCKET/KEY (or s3://BUCKET/PREFIX/)", url);
    };
    if (!url.starts_with("s3://"))
        return bad();
    auto rest = url.substr(5);
    auto slash = rest.find('/');
    S3Location location{rest.substr(0, slash), slash == std::string::npos ? "" : rest.substr(slash + 1)};
    if (location.bucket.empty() || location.bucket.size() > 63 ||
        location.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos)
        return bad();
    if (location.key.empty() || location.key.back() == '/')
        location.key += file_name;
    return location;
}

Status upload_file(const std::filesystem::path& file, const S3Location& to, const Credentials& credentials,
                   const UploadOptions& options)
{
    if (options.part_size < minimum_part_size)
        return fail(ErrorKind::usage, "--part-size must be at least 5M, S3's smallest part");
    std::error_code ec;
    auto total = std::filesystem::file_size(file, ec);
    if (ec)
        return fail(ErrorKind::io, "cannot read {}: {}", file.string(), ec.message());
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return fail(ErrorKind::io, "cannot read {}", file.string());
    S3Client client(to, credentials, options);
    options.progress(0, total);

    if (total <= options.part_size) {
        auto body = read_part(in, total, file);
        if (!body)
            return fail(body.error());
        auto response = client.request("PUT", {}, *body);
        if (!response)
            return fail(response.error());
        if (response->status != 200)
            return fail(client.refused(*response, "uploading"));
        options.progress(total, total);
        return {};
    }

    auto started = client.request("POST", {{"uploads", ""}}, "");
    if (!started)
        return fail(started.error());
    auto upload_id = xml_value(started->body, "UploadId");
    if (started->status != 200 || upload_id.empty())
        return fail(client.refused(*started, "starting a multipart upload to"));
    auto abort = [&] { (void)client.request("DELETE", {{"uploadId", upload_id}}, ""); };

    std::string parts_xml;
    std::uint64_t done = 0;
    for (int number = 1; done < total; number++) {
        auto size = std::min(options.part_size, total - done);
        auto body = read_part(in, size, file);
        if (!body) {
            abort();
            return fail(body.error());
        }
        auto response =
            client.request("PUT", {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, *body);
        if (!response || response->status != 200) {
            abort();
            return response ? Status(fail(client.refused(*response, "uploading part " + std::to_string(number) + " of")))
                            : Status(fail(response.error()));
        }
        parts_xml += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" +
                     response->headers["etag"] + "</ETag></Part>";
        done += size;
        options.progress(done, total);
    }
    auto completed = client.request("POST", {{"uploadId", upload_id}},
                                    "<CompleteMultipartUpload>" + parts_xml + "</CompleteMultipartUpload>");
    if (!completed)
        return fail(completed.error());
    // S3 can answer 200 and put an error in the body of a completion.
    if (completed->status != 200 || !xml_value(completed->body, "Code").empty()) {
        abort();
        return fail(client.refused(*completed, "completing the upload to"));
    }
    return {};
}

} // namespace uk::upload
