#include "image/manifest.hpp"
#include "uk-init/manifest.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

struct Loaded {
    manifest value{};
    bool ok = false;
    std::string error;
    ~Loaded()
    {
        if (ok)
            manifest_free(&value);
    }
};

void load(Loaded& out, const std::string& text)
{
    char error[512] = "";
    out.ok = manifest_parse(text.data(), text.size(), &out.value, error, sizeof error) == 0;
    out.error = error;
}

std::string error_of(const std::string& text)
{
    Loaded loaded;
    load(loaded, text);
    REQUIRE_FALSE(loaded.ok);
    return loaded.error;
}

std::vector<std::string> strings(char** list)
{
    std::vector<std::string> out;
    for (; list && *list; list++)
        out.emplace_back(*list);
    return out;
}

} // namespace

TEST_CASE("manifest: the smallest manifest gets container-like defaults", "[unit][uk-init]")
{
    Loaded m;
    load(m, R"({"version": 1, "program": "/server"})");
    REQUIRE(m.ok);
    CHECK(std::string(m.value.program) == "/server");
    CHECK(strings(m.value.argv) == std::vector<std::string>{"/server"});
    CHECK(strings(m.value.envp) ==
          std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"});
    CHECK(std::string(m.value.cwd) == "/");
    CHECK(std::string(m.value.hostname) == "uk");
    CHECK(m.value.readonly_root == 0);
    CHECK(m.value.stop_grace_seconds == 10);
    CHECK(m.value.mount_count == 0);
    CHECK(m.value.rlimit_count == 0);
}

TEST_CASE("manifest: every field is read", "[unit][uk-init]")
{
    Loaded m;
    load(m, R"({
      "version": 1,
      "program": "/app/server",
      "argv": ["server", "--port", "8080"],
      "env": {"PATH": "/app", "GREETING": "hi=there"},
      "cwd": "/app",
      "hostname": "web-1",
      "readonly_root": true,
      "mounts": [{"source": "/dev/vdb", "target": "/data", "type": "ext4", "options": "noatime"},
                 {"target": "/scratch", "type": "tmpfs"}],
      "rlimits": {"nofile": [1024, "unlimited"]},
      "stop_grace_seconds": 3
    })");
    REQUIRE(m.ok);
    CHECK(strings(m.value.argv) == std::vector<std::string>{"server", "--port", "8080"});
    CHECK(strings(m.value.envp) == std::vector<std::string>{"PATH=/app", "GREETING=hi=there", "HOME=/"});
    CHECK(std::string(m.value.cwd) == "/app");
    CHECK(std::string(m.value.hostname) == "web-1");
    CHECK(m.value.readonly_root == 1);
    REQUIRE(m.value.mount_count == 2);
    CHECK(std::string(m.value.mounts[0].options) == "noatime");
    CHECK(std::string(m.value.mounts[1].source) == "tmpfs"); // defaults to the type
    CHECK(std::string(m.value.mounts[1].options).empty());
    REQUIRE(m.value.rlimit_count == 1);
    CHECK(m.value.rlimits[0].resource == RLIMIT_NOFILE);
    CHECK(m.value.rlimits[0].limit.rlim_cur == 1024);
    CHECK(m.value.rlimits[0].limit.rlim_max == RLIM_INFINITY);
    CHECK(m.value.stop_grace_seconds == 3);
}

TEST_CASE("manifest: each mistake gets its own message with its position", "[unit][uk-init]")
{
    CHECK(error_of("[]") == "line 1, column 1: \"the manifest\" must be an object, not an array");
    CHECK(error_of(R"({"program": "/x"})") == "line 1, column 1: \"version\" is missing");
    CHECK(error_of(R"({"version": 2, "program": "/x"})") ==
          "line 1, column 13: unsupported manifest version (this uk-init reads version 1)");
    CHECK(error_of(R"({"version": 1})") == "line 1, column 1: \"program\" is missing");
    CHECK(error_of(R"({"version": 1, "program": "x"})") ==
          "line 1, column 27: \"program\" must be an absolute path, not \"x\"");
    CHECK(error_of(R"({"version": 1, "program": "/x", "color": 1})") == "line 1, column 42: unknown field \"color\"");
    CHECK(error_of(R"({"version": 1, "program": "/x", "argv": []})") ==
          "line 1, column 41: \"argv\" must hold at least argv[0]");
    CHECK(error_of(R"({"version": 1, "program": "/x", "argv": "x"})") ==
          "line 1, column 41: \"argv\" must be an array, not a string");
    CHECK(error_of(R"({"version": 1, "program": "/x", "env": {"A=B": "c"}})") ==
          "line 1, column 48: environment variable name \"A=B\" must be non-empty and hold no '='");
    CHECK(error_of(R"({"version": 1, "program": "/x", "env": {"A": 1}})") ==
          "line 1, column 46: \"A\" must be a string, not a number");
    CHECK(error_of(R"({"version": 1, "program": "/x", "cwd": "app"})") ==
          "line 1, column 40: \"cwd\" must be an absolute path, not \"app\"");
    CHECK(error_of(R"({"version": 1, "program": "/x", "hostname": ""})") ==
          "line 1, column 45: \"hostname\" must be 1 to 64 characters");
    CHECK(error_of(R"({"version": 1, "program": "/x", "readonly_root": "yes"})") ==
          "line 1, column 50: \"readonly_root\" must be a boolean, not a string");
    CHECK(error_of(R"({"version": 1, "program": "/x", "mounts": [{"type": "tmpfs"}]})") ==
          "line 1, column 44: a mount needs \"target\" and \"type\"");
    CHECK(error_of(R"({"version": 1, "program": "/x", "mounts": [{"target": "/d", "type": "tmpfs", "ro": true}]})") ==
          "line 1, column 84: unknown field \"ro\" in a mount (expected source, target, type, options)");
    CHECK(error_of(R"({"version": 1, "program": "/x", "rlimits": {"files": [1, 1]}})") ==
          "line 1, column 54: unknown resource limit \"files\" (expected nofile, nproc, stack, core, memlock, ...)");
    CHECK(error_of(R"({"version": 1, "program": "/x", "rlimits": {"nofile": 5}})") ==
          "line 1, column 55: limit \"nofile\" must be [soft, hard]");
    CHECK(error_of(R"({"version": 1, "program": "/x", "rlimits": {"nofile": [5, -1]}})") ==
          "line 1, column 59: a limit must be a non-negative integer or \"unlimited\"");
    CHECK(error_of(R"({"version": 1, "program": "/x", "rlimits": {"nofile": [9, 5]}})") ==
          "line 1, column 55: limit \"nofile\": the soft value is above the hard one");
    CHECK(error_of(R"({"version": 1, "program": "/x", "stop_grace_seconds": -1})") ==
          "line 1, column 55: \"stop_grace_seconds\" must be an integer from 0 to 86400");
}

TEST_CASE("manifest: a missing file is reported", "[unit][uk-init]")
{
    manifest m{};
    char error[256] = "";
    REQUIRE(manifest_load("/nonexistent/manifest.json", &m, error, sizeof error) == -1);
    CHECK(std::string(error) == "cannot open it: No such file or directory");
}

TEST_CASE("manifest: what uk writes, bytes that are not UTF-8 included, uk-init reads back unchanged",
          "[unit][uk-init]")
{
    uk::image::Manifest written;
    written.program = "/probe";
    written.argv = {"/probe", "caf\xe9", "\xc3\xa9", "quote\" and \\ and\nnewline"};
    written.env = {{"KEY", "\xff\xfe"}};
    Loaded m;
    load(m, uk::image::to_json(written));
    REQUIRE(m.ok);
    CHECK(strings(m.value.argv) == written.argv);
    CHECK(strings(m.value.envp).front() == "KEY=\xff\xfe");
}

TEST_CASE("manifest: uk's limit on what it writes is uk-init's limit on what it reads", "[unit][uk-init]")
{
    CHECK(uk::image::manifest_limit == MAX_MANIFEST_BYTES);
}
