// Uploads a file to S3 or any S3-compatible store (AWS, Google Cloud Storage's
// interoperability endpoint, MinIO, Ceph): one PUT for small files, a multipart upload
// for large ones, each request signed with SigV4 and retried with back-off when the
// network or the server fails; a clear error for bad credentials or a missing bucket.
#pragma once

#include "core/error.hpp"
#include "upload/sigv4.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace uk::upload {

struct S3Location {
    std::string bucket;
    std::string key;
};

// "s3://BUCKET/KEY"; a KEY ending in '/' gets `file_name` appended.
Result<S3Location> parse_s3_url(const std::string& url, const std::string& file_name);

struct UploadOptions {
    std::string endpoint;                     // "http://127.0.0.1:4568"; empty: AWS in `region`
    std::string region = "us-east-1";
    std::uint64_t part_size = 16ull << 20;    // files larger than this go in parts (at least 5 MiB)
    int attempts = 4;                         // per request (a stalled one is tried twice at most)
    // How long no byte may move before a request is given up (not how long it may take).
    std::chrono::seconds stall_timeout{30};
    std::function<void(std::uint64_t done, std::uint64_t total)> progress = [](std::uint64_t, std::uint64_t) {};
    // Asked while bytes move and while waiting: true stops the upload at once
    // (ErrorKind::interrupted), an unfinished multipart upload aborted.
    std::function<bool()> cancelled = [] { return false; };
};

Status upload_file(const std::filesystem::path& file, const S3Location& to, const Credentials& credentials,
                   const UploadOptions& options);

} // namespace uk::upload
