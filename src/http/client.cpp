#include "http/client.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <curl/curl.h>
#include <memory>

namespace uk::http {
namespace {

struct Transfer {
    const Request* request = nullptr;
    Response* response = nullptr;
    std::FILE* save = nullptr;
    std::FILE* send = nullptr;
    std::size_t sent = 0;
};

std::size_t receive(char* data, std::size_t size, std::size_t count, void* user)
{
    auto* transfer = static_cast<Transfer*>(user);
    auto bytes = size * count;
    if (transfer->save)
        return std::fwrite(data, 1, bytes, transfer->save);
    transfer->response->body.append(data, bytes);
    return bytes;
}

std::size_t send_body(char* data, std::size_t size, std::size_t count, void* user)
{
    auto* transfer = static_cast<Transfer*>(user);
    if (transfer->send)
        return std::fread(data, 1, size * count, transfer->send);
    const auto& body = transfer->request->body;
    auto n = std::min(size * count, body.size() - transfer->sent);
    std::copy_n(body.data() + transfer->sent, n, data);
    transfer->sent += n;
    return n;
}

std::size_t header_line(char* data, std::size_t size, std::size_t count, void* user)
{
    auto* response = static_cast<Response*>(user);
    std::string line(data, size * count);
    // A redirect's headers are followed by the final answer's: keep only the last set.
    if (line.starts_with("HTTP/"))
        response->headers.clear();
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        auto value = line.substr(colon + 1);
        auto first = value.find_first_not_of(" \t");
        auto last = value.find_last_not_of(" \t\r\n");
        response->headers[name] = first == std::string::npos ? "" : value.substr(first, last - first + 1);
    }
    return size * count;
}

int on_progress(void* user, curl_off_t down_total, curl_off_t down_now, curl_off_t up_total, curl_off_t up_now)
{
    auto* transfer = static_cast<Transfer*>(user);
    if (transfer->request->cancelled())
        return 1;
    if (transfer->request->progress) {
        bool uploading = up_total > 0;
        transfer->request->progress(static_cast<std::uint64_t>(uploading ? up_now : down_now),
                                    static_cast<std::uint64_t>(uploading ? up_total : down_total));
    }
    return 0;
}

struct FileCloser {
    void operator()(std::FILE* f) const
    {
        if (f)
            std::fclose(f);
    }
};

} // namespace

std::string Response::header(const std::string& name) const
{
    auto found = headers.find(name);
    return found == headers.end() ? "" : found->second;
}

Response perform(const Request& request)
{
    Response response;
    Transfer transfer{&request, &response};
    std::unique_ptr<std::FILE, FileCloser> save, send;
    if (request.save_to) {
        save.reset(std::fopen(request.save_to->c_str(), "wb"));
        if (!save) {
            response.transport_error = "cannot write " + request.save_to->string();
            return response;
        }
        transfer.save = save.get();
    }
    std::uint64_t body_size = request.body.size();
    if (request.body_file) {
        send.reset(std::fopen(request.body_file->c_str(), "rb"));
        std::error_code ec;
        body_size = std::filesystem::file_size(*request.body_file, ec);
        if (!send || ec) {
            response.transport_error = "cannot read " + request.body_file->string();
            return response;
        }
        transfer.send = send.get();
    }

    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers)
        list = curl_slist_append(list, (name + ": " + value).c_str());
    list = curl_slist_append(list, "Expect:");
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> free_list(list, curl_slist_free_all);
    curl_easy_setopt(curl.get(), CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, receive);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, header_line);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.stall_timeout.count()));
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &transfer);
    if (request.follow_redirects) {
        curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
    }
    if (!request.verify_tls) {
        curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (request.method == "PUT" || request.method == "PATCH" ||
        (request.method == "POST" && (request.body_file || !request.body.empty()))) {
        curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, send_body);
        curl_easy_setopt(curl.get(), CURLOPT_READDATA, &transfer);
        curl_easy_setopt(curl.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
        if (request.method != "PUT")
            curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else if (request.method == "HEAD") {
        curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
    } else if (request.method == "POST") {
        curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, 0L);
    } else if (request.method != "GET") {
        curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    auto result = curl_easy_perform(curl.get());
    if (result != CURLE_OK) {
        response.transport_error = curl_easy_strerror(result);
        response.cancelled = result == CURLE_ABORTED_BY_CALLBACK;
        response.stalled = result == CURLE_OPERATION_TIMEDOUT;
        response.tls_failed = result == CURLE_SSL_CONNECT_ERROR || result == CURLE_PEER_FAILED_VERIFICATION;
        return response;
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
    char* effective = nullptr;
    curl_easy_getinfo(curl.get(), CURLINFO_EFFECTIVE_URL, &effective);
    response.effective_url = effective ? effective : request.url;
    return response;
}

std::string base64_encode(std::string_view bytes)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
        out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], alphabet[(n >> 6) & 63], alphabet[n & 63]};
    }
    if (i + 1 == bytes.size()) {
        auto n = static_cast<unsigned char>(bytes[i]) << 16;
        out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], '=', '='};
    } else if (i + 2 == bytes.size()) {
        auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], alphabet[(n >> 6) & 63], '='};
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text)
{
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '+' || c == '-')
            return 62;
        if (c == '/' || c == '_')
            return 63;
        return -1;
    };
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=' || c == '\n' || c == '\r')
            continue;
        int v = value(c);
        if (v < 0)
            return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

std::string basic_authorization(const std::string& user, const std::string& password)
{
    return "Basic " + base64_encode(user + ":" + password);
}

std::string url_encode(std::string_view text)
{
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char byte : text) {
        auto c = static_cast<unsigned char>(byte);
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15u];
        }
    }
    return out;
}

} // namespace uk::http
