// OCI images: references, layers assembled into a root (whiteouts, opaque folders, escape
// attempts), digests checked, platforms chosen, and a registry's token challenge.
#include "core/files.hpp"
#include "oci/document.hpp"
#include "oci/pull.hpp"
#include "oci/reference.hpp"
#include "oci/registry.hpp"
#include "oci/rootfs.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

using uk::image::TreeEntry;

struct TarEntry {
    std::string name;
    char type = 'f'; // f file, d folder, l symlink, h hard link
    std::string content; // file bytes, or the link's target
    unsigned mode = 0644;
};

void write_tar(const std::filesystem::path& file, const std::vector<TarEntry>& entries, bool gzip = false)
{
    auto* out = archive_write_new();
    archive_write_set_format_pax_restricted(out);
    if (gzip)
        archive_write_add_filter_gzip(out);
    REQUIRE(archive_write_open_filename(out, file.c_str()) == ARCHIVE_OK);
    for (const auto& e : entries) {
        auto* entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.name.c_str());
        archive_entry_set_perm(entry, e.mode);
        archive_entry_set_uid(entry, 1000);
        archive_entry_set_gid(entry, 1000);
        switch (e.type) {
        case 'd': archive_entry_set_filetype(entry, AE_IFDIR); break;
        case 'l':
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_symlink(entry, e.content.c_str());
            break;
        case 'h':
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_hardlink(entry, e.content.c_str());
            break;
        default:
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
        }
        REQUIRE(archive_write_header(out, entry) == ARCHIVE_OK);
        if (e.type == 'f')
            archive_write_data(out, e.content.data(), e.content.size());
        archive_entry_free(entry);
    }
    archive_write_close(out);
    archive_write_free(out);
}

std::string file_text(const uk::image::FileTree& tree, const std::string& path)
{
    auto text = uk::oci::read_tree_file(tree, path, 1 << 20);
    return text ? *text : "<" + text.error().message + ">";
}

std::string put_blob(const std::filesystem::path& layout, const std::string& bytes)
{
    auto digest = uk::oci::digest_of(bytes);
    std::filesystem::create_directories(layout / "blobs/sha256");
    uk::test::write_text(layout / "blobs/sha256" / digest.hex, bytes);
    return digest.to_string();
}

nlohmann::json descriptor(const std::string& media_type, const std::string& bytes, const std::string& digest)
{
    return {{"mediaType", media_type}, {"digest", digest}, {"size", bytes.size()}};
}

// An OCI layout with one image (one layer), tagged v1. Returns the layer's digest.
std::string make_layout(const std::filesystem::path& layout, const std::filesystem::path& layer_file,
                        const std::string& config_json)
{
    uk::test::write_text(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    auto layer = uk::read_file(layer_file).value();
    auto layer_digest = put_blob(layout, layer);
    auto config_digest = put_blob(layout, config_json);
    nlohmann::json manifest{{"schemaVersion", 2},
                            {"mediaType", uk::oci::media::oci_manifest},
                            {"config", descriptor(uk::oci::media::oci_config, config_json, config_digest)},
                            {"layers", {descriptor(uk::oci::media::oci_layer_tar, layer, layer_digest)}}};
    auto manifest_text = manifest.dump();
    auto manifest_digest = put_blob(layout, manifest_text);
    auto entry = descriptor(uk::oci::media::oci_manifest, manifest_text, manifest_digest);
    entry["annotations"] = {{"org.opencontainers.image.ref.name", "v1"}};
    uk::test::write_text(layout / "index.json", nlohmann::json{{"schemaVersion", 2}, {"manifests", {entry}}}.dump());
    return layer_digest;
}

constexpr const char* amd64_config = R"({"architecture":"amd64","os":"linux","config":{"Cmd":["/app"]}})";

} // namespace

TEST_CASE("oci reference: the transports skopeo takes, and Docker Hub's defaults", "[unit][oci]")
{
    auto hub = uk::oci::parse_reference("docker://nginx");
    REQUIRE(hub);
    CHECK(hub->registry == "docker.io");
    CHECK(hub->repository == "library/nginx");
    CHECK(hub->tag == "latest");
    CHECK(hub->short_name() == "nginx");

    auto local = uk::oci::parse_reference("docker://localhost:5000/team/web:1.2");
    REQUIRE(local);
    CHECK(local->registry == "localhost:5000");
    CHECK(local->repository == "team/web");
    CHECK(local->tag == "1.2");

    auto pinned = uk::oci::parse_reference(
        "docker://registry.example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    REQUIRE(pinned);
    REQUIRE(pinned->digest);
    CHECK(pinned->digest->hex.starts_with("0123456789abcdef"));

    auto layout = uk::oci::parse_reference("oci:./images/app:v1");
    REQUIRE(layout);
    CHECK(layout->transport == uk::oci::Transport::oci_layout);
    CHECK(layout->path == "./images/app");
    CHECK(layout->tag == "v1");

    auto archive = uk::oci::parse_reference("docker-archive:/tmp/app.tar");
    REQUIRE(archive);
    CHECK(archive->transport == uk::oci::Transport::docker_archive);

    CHECK(uk::oci::is_image_reference("oci-archive:x.tar"));
    CHECK_FALSE(uk::oci::is_image_reference("./server"));
    CHECK_FALSE(uk::oci::parse_reference("docker://Upper/Case"));
    CHECK_FALSE(uk::oci::parse_reference("docker://app@sha512:abcd"));
    CHECK_FALSE(uk::oci::parse_reference("oci:"));
}

TEST_CASE("oci layers: whiteouts remove, opaque folders hide what lower layers put there", "[unit][oci]")
{
    uk::test::TempDir dir;
    write_tar(dir / "lower.tar", {{"etc/", 'd'},
                                  {"etc/config", 'f', "old"},
                                  {"etc/secret", 'f', "lower secret"},
                                  {"cache/", 'd'},
                                  {"cache/a", 'f', "a"},
                                  {"cache/sub/", 'd'},
                                  {"cache/sub/b", 'f', "b"}});
    write_tar(dir / "upper.tar.gz",
              {{"etc/config", 'f', "new", 0600}, {"etc/.wh.secret", 'f'}, {"cache/.wh..wh..opq", 'f'}, {"cache/c", 'f', "c"}},
              true);
    uk::oci::RootFs root(dir / "staging");
    REQUIRE(root.apply_layer(dir / "lower.tar", "lower", [] { return false; }));
    REQUIRE(root.apply_layer(dir / "upper.tar.gz", "upper", [] { return false; }));
    const auto& tree = root.tree();
    CHECK(file_text(tree, "/etc/config") == "new");
    CHECK(tree.find("/etc/config")->mode == 0600);
    CHECK(tree.find("/etc/config")->uid == 1000);
    CHECK_FALSE(tree.contains("/etc/secret"));
    CHECK_FALSE(tree.contains("/etc/.wh.secret"));
    CHECK_FALSE(tree.contains("/cache/a"));
    CHECK_FALSE(tree.contains("/cache/sub/b"));
    CHECK_FALSE(tree.contains("/cache/.wh..wh..opq"));
    CHECK(file_text(tree, "/cache/c") == "c");
}

TEST_CASE("oci layers: hard links and symlinks stay inside the root", "[unit][oci]")
{
    uk::test::TempDir dir;
    uk::test::TempDir host; // what an escape would reach
    write_tar(dir / "layer.tar", {{"bin/", 'd'},
                                  {"bin/tool", 'f', "tool", 0755},
                                  {"bin/alias", 'h', "bin/tool"},
                                  {"escape", 'l', host.path().string()},
                                  {"escape/planted", 'f', "gotcha"},
                                  {"up", 'l', "../../.."},
                                  {"up/etc-planted", 'f', "gotcha"}});
    uk::oci::RootFs root(dir / "staging");
    REQUIRE(root.apply_layer(dir / "layer.tar", "layer", [] { return false; }));
    const auto& tree = root.tree();
    CHECK(file_text(tree, "/bin/alias") == "tool");
    // The absolute symlink's target is read inside the image: the file lands at
    // <host path> in the image's root, and nothing is written on the host.
    CHECK(file_text(tree, host.path().string() + "/planted") == "gotcha");
    CHECK(std::filesystem::is_empty(host.path()));
    CHECK(file_text(tree, "/etc-planted") == "gotcha");
    for (const auto& [path, entry] : tree.entries())
        if (const auto* file = std::get_if<uk::image::HostFile>(&entry.content))
            CHECK(file->path.parent_path() == dir / "staging");
}

TEST_CASE("oci layers: a path that climbs out of the root is refused", "[unit][oci]")
{
    uk::test::TempDir dir;
    write_tar(dir / "layer.tar", {{"../../outside", 'f', "x"}});
    uk::oci::RootFs root(dir / "staging");
    auto applied = root.apply_layer(dir / "layer.tar", "evil layer", [] { return false; });
    REQUIRE_FALSE(applied);
    CHECK(applied.error().message == "evil layer holds ../../outside, which climbs out of the image's root");
    CHECK_FALSE(std::filesystem::exists(dir.path().parent_path() / "outside"));
}

TEST_CASE("oci pull: a layout's image, and a blob whose bytes do not match its digest", "[unit][oci]")
{
    uk::test::TempDir dir;
    write_tar(dir / "layer.tar", {{"app", 'f', "#!/bin/sh\n", 0755}});
    auto layout = dir / "layout";
    auto layer_digest = make_layout(layout, dir / "layer.tar", amd64_config);
    uk::oci::SourceOptions options{.cache = dir / "cache", .registry = {}};
    auto reference = uk::oci::parse_reference("oci:" + layout.string() + ":v1").value();
    auto pulled = uk::oci::pull_image(reference, options, nullptr);
    REQUIRE(pulled);
    CHECK(pulled->layers.size() == 1);
    CHECK(pulled->config.cmd == std::vector<std::string>{"/app"});

    auto wrong_tag = uk::oci::pull_image(uk::oci::parse_reference("oci:" + layout.string() + ":v2").value(), options, nullptr);
    REQUIRE_FALSE(wrong_tag);
    CHECK(wrong_tag.error().message.find("has no image tagged v2 (it has v1)") != std::string::npos);

    // A layer changed after the manifest named it.
    auto blob = layout / "blobs/sha256" / layer_digest.substr(7);
    std::filesystem::permissions(blob, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    uk::test::write_text(blob, "tampered");
    auto tampered = uk::oci::pull_image(reference, options, nullptr);
    REQUIRE_FALSE(tampered);
    CHECK(tampered.error().message.find("sha256:") != std::string::npos);
    CHECK(tampered.error().message.find(layer_digest) != std::string::npos);
}

TEST_CASE("oci index: linux/amd64 is chosen, and without it one line lists what there is", "[unit][oci]")
{
    auto digest = [](const char* c) { return std::string("sha256:") + std::string(64, c[0]); };
    auto make = [&](std::vector<std::pair<std::string, std::string>> platforms) {
        nlohmann::json manifests = nlohmann::json::array();
        char c = 'a';
        for (const auto& [os, arch] : platforms) {
            std::string one(1, c++);
            manifests.push_back({{"mediaType", uk::oci::media::oci_manifest},
                                 {"digest", digest(one.c_str())},
                                 {"size", 10},
                                 {"platform", {{"os", os}, {"architecture", arch}}}});
        }
        return nlohmann::json{{"schemaVersion", 2}, {"mediaType", uk::oci::media::oci_index}, {"manifests", manifests}}
            .dump();
    };
    auto both = uk::oci::parse_document(make({{"linux", "arm64"}, {"linux", "amd64"}}), "img");
    REQUIRE(both);
    auto chosen = uk::oci::choose_platform(std::get<uk::oci::Index>(*both), "img");
    REQUIRE(chosen);
    CHECK(chosen->digest.hex == std::string(64, 'b'));

    auto arm_only = uk::oci::parse_document(make({{"linux", "arm64"}, {"linux", "s390x"}}), "img");
    REQUIRE(arm_only);
    auto none = uk::oci::choose_platform(std::get<uk::oci::Index>(*arm_only), "img");
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "img has no linux/amd64 image (it has linux/arm64, linux/s390x): uk runs x86-64 "
                                  "programs");
}

TEST_CASE("oci registry: a 401 with a token challenge is answered with a token from its service", "[unit][oci]")
{
    const std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]})";
    std::string realm;
    uk::test::HttpServer server([&](const uk::test::HttpRequest& request) -> uk::test::HttpAnswer {
        if (request.target.starts_with("/token"))
            return {200, {{"Content-Type", "application/json"}}, R"({"token":"secret-token"})"};
        if (request.headers.contains("authorization") && request.headers.at("authorization") == "Bearer secret-token")
            return {200, {{"Content-Type", uk::oci::media::oci_manifest}}, manifest};
        return {401,
                {{"WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"test-registry\",scope=\"x\""}},
                R"({"errors":[{"code":"UNAUTHORIZED"}]})"};
    });
    realm = "http://" + server.base() + "/token";
    uk::oci::Registry registry(server.base(), "team/app",
                               {.tls_verify = false, .environment = [](const std::string&) { return std::optional<std::string>(); }});
    auto fetched = registry.manifest("v1");
    INFO((fetched ? std::string() : fetched.error().message));
    REQUIRE(fetched);
    CHECK(fetched->body == manifest);
    CHECK(fetched->digest == uk::oci::digest_of(manifest));
    auto requests = server.requests();
    auto token = std::find_if(requests.begin(), requests.end(),
                              [](const auto& r) { return r.target.starts_with("/token"); });
    REQUIRE(token != requests.end());
    CHECK(token->target.find("service=test-registry") != std::string::npos);
    CHECK(token->target.find("scope=repository%3Ateam%2Fapp%3Apull") != std::string::npos);
}

TEST_CASE("oci registry: a manifest asked for by digest that comes back different is refused", "[unit][oci]")
{
    uk::test::HttpServer server([](const uk::test::HttpRequest&) -> uk::test::HttpAnswer {
        return {200, {{"Content-Type", uk::oci::media::oci_manifest}}, R"({"schemaVersion":2})"};
    });
    uk::oci::Registry registry(server.base(), "app",
                               {.tls_verify = false, .environment = [](const std::string&) { return std::optional<std::string>(); }});
    auto fetched = registry.manifest("sha256:" + std::string(64, 'e'));
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().message.find(std::string(64, 'e')) != std::string::npos);
}
