// The user's Files, Dirs and MapDirs in the image: ops's placement rules, modes kept,
// symlinks kept as symlinks, and --strip working on copies.
#include "image/contents.hpp"
#include "support/temp_dir.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using uk::image::Contents;
using uk::image::FileTree;
using uk::image::HostFile;
using uk::image::TreeEntry;

namespace {

// An app folder: server.js, bin/tool (0755), static/{index.html, logo -> index.html,
// passwd -> /etc/passwd, up -> ..}, assets/{a.css, b.css, font/x.woff}.
void make_app(const uk::test::TempDir& app)
{
    uk::test::write_text(app / "server.js", "console.log('hi')\n");
    uk::test::write_text(app / "bin/tool", "#!/bin/sh\n");
    ::chmod((app / "bin/tool").c_str(), 0755);
    uk::test::write_text(app / "static/index.html", "<p>hi</p>\n");
    ::chmod((app / "static/index.html").c_str(), 0600);
    std::filesystem::create_symlink("index.html", app / "static/logo");
    std::filesystem::create_symlink("/etc/passwd", app / "static/passwd");
    std::filesystem::create_symlink("..", app / "static/up");
    uk::test::write_text(app / "assets/a.css", "a{}\n");
    uk::test::write_text(app / "assets/b.css", "b{}\n");
    uk::test::write_text(app / "assets/font/x.woff", "font\n");
}

const TreeEntry& entry(const FileTree& tree, const std::string& path)
{
    INFO(path);
    REQUIRE(tree.contains(path));
    return tree.entries().at(path);
}

std::string error_of(const Contents& contents)
{
    FileTree tree;
    auto packed = uk::image::pack_contents(tree, contents, {});
    REQUIRE_FALSE(packed);
    return packed.error().message;
}

} // namespace

TEST_CASE("contents: Files keep their place below the root, absolute ones their own path", "[unit][image]")
{
    uk::test::TempDir app;
    make_app(app);
    FileTree tree;
    REQUIRE(uk::image::pack_contents(tree, {.base_dir = app.path(), .files = {"server.js", "bin/tool",
                                                                              (app / "static/index.html").string()}},
                                     {}));
    CHECK(std::get<HostFile>(entry(tree, "/server.js").content).path == app / "server.js");
    CHECK(entry(tree, "/server.js").mode == 0644);
    CHECK(entry(tree, "/bin/tool").mode == 0755);
    CHECK(entry(tree, "/bin").type == TreeEntry::Type::directory);
    CHECK(entry(tree, (app / "static/index.html").string()).mode == 0600);
    CHECK(entry(tree, "/server.js").origin == "Files");
}

TEST_CASE("contents: Dirs keep symlinks as symlinks and never follow them out", "[unit][image]")
{
    uk::test::TempDir app;
    make_app(app);
    FileTree tree;
    REQUIRE(uk::image::pack_contents(tree, {.base_dir = app.path(), .dirs = {"static"}}, {}));
    CHECK(entry(tree, "/static/index.html").mode == 0600);
    CHECK(entry(tree, "/static/logo").type == TreeEntry::Type::symlink);
    CHECK(entry(tree, "/static/logo").link_target == "index.html");
    CHECK(entry(tree, "/static/passwd").type == TreeEntry::Type::symlink);
    CHECK(entry(tree, "/static/passwd").link_target == "/etc/passwd");
    CHECK(entry(tree, "/static/up").link_target == "..");
    // Nothing from behind the links came in.
    CHECK_FALSE(tree.contains("/etc/passwd"));
    CHECK_FALSE(tree.contains("/static/up/server.js"));
    CHECK_FALSE(tree.contains("/server.js"));
}

TEST_CASE("contents: MapDirs puts a folder or a glob's matches in a guest folder", "[unit][image]")
{
    uk::test::TempDir app;
    make_app(app);
    FileTree tree;
    REQUIRE(uk::image::pack_contents(
        tree, {.base_dir = app.path(), .map_dirs = {{"assets/*.css", "/srv/css"}, {"assets/font", "/usr/share/fonts"}}},
        {}));
    CHECK(entry(tree, "/srv/css/a.css").type == TreeEntry::Type::file);
    CHECK(entry(tree, "/srv/css/b.css").type == TreeEntry::Type::file);
    CHECK_FALSE(tree.contains("/srv/css/font"));
    CHECK(std::get<HostFile>(entry(tree, "/usr/share/fonts/x.woff").content).path == app / "assets/font/x.woff");
}

TEST_CASE("contents: the same file named twice is packed once, two different ones are an error", "[unit][image]")
{
    uk::test::TempDir app;
    make_app(app);
    FileTree tree;
    REQUIRE(uk::image::pack_contents(tree, {.base_dir = app.path(), .files = {"static/index.html"}, .dirs = {"static"}},
                                     {}));
    CHECK(tree.contains("/static/index.html"));

    uk::test::write_text(app / "other/server.js", "other\n");
    CHECK(error_of({.base_dir = app.path(), .files = {"server.js"}, .map_dirs = {{"other/*.js", "/"}}}) ==
          "/server.js is in the image twice: as a file (from Files) and as a file (from MapDirs)");
}

TEST_CASE("contents: each mistake in Files, Dirs and MapDirs has its own message", "[unit][image]")
{
    uk::test::TempDir app;
    make_app(app);
    const auto base = app.path();
    CHECK(error_of({.base_dir = base, .files = {"missing.js"}}) ==
          "Files: missing.js does not exist (looked at " + (base / "missing.js").string() + ")");
    CHECK(error_of({.base_dir = base, .files = {"static"}}) == "Files: static is a folder; list it in Dirs");
    CHECK(error_of({.base_dir = base, .files = {"../server.js"}}) ==
          "Files: ../server.js climbs out of its folder with ..; give a path below it, or use MapDirs to choose "
          "where it goes in the image");
    CHECK(error_of({.base_dir = base, .dirs = {"public"}}) ==
          "Dirs: public does not exist (looked at " + (base / "public").string() + ")");
    CHECK(error_of({.base_dir = base, .dirs = {"server.js"}}) == "Dirs: server.js is a file; list it in Files");
    CHECK(error_of({.base_dir = base, .map_dirs = {{"assets/*.png", "/img"}}}) ==
          "MapDirs: assets/*.png matches nothing (looked for " + (base / "assets/*.png").string() + ")");
}

TEST_CASE("contents: --strip packs a stripped copy and leaves the host file alone", "[unit][image]")
{
    uk::test::TempDir dir;
    auto program = dir / "with-symbols";
    uk::test::write_text(dir / "main.c", "int main(void) { return 0; }\n");
    auto built = uk::test::run_tool({"cc", "-g", "-O0", "-o", program.string(), (dir / "main.c").string()});
    REQUIRE(built.status == 0);
    auto before = std::filesystem::file_size(program);
    auto host_bytes = uk::test::read_text(program);

    FileTree tree;
    REQUIRE(uk::image::pack_contents(tree, {.base_dir = dir.path(), .files = {"with-symbols"}}, {.strip = true}));
    const auto& packed = entry(tree, "/with-symbols");
    REQUIRE(std::holds_alternative<std::string>(packed.content));
    const auto& stripped = std::get<std::string>(packed.content);
    CHECK(stripped.size() < before);
    // As small as binutils' strip makes it.
    REQUIRE(uk::test::run_tool({"strip", "-o", (dir / "by-strip").string(), program.string()}).status == 0);
    CHECK(stripped.size() <= std::filesystem::file_size(dir / "by-strip"));
    CHECK(packed.mode == 0755);
    CHECK(uk::test::read_text(program) == host_bytes);

    // What strip(1) would keep is still there: the stripped copy runs.
    auto copy = dir / "stripped";
    uk::test::write_text(copy, stripped);
    ::chmod(copy.c_str(), 0755);
    CHECK(uk::test::run_tool({copy.string()}).status == 0);
    auto symbols = uk::test::run_tool({"nm", copy.string()});
    CHECK(symbols.output.find("no symbols") != std::string::npos);

    // Files that are not ELF are packed as they are.
    uk::test::write_text(dir / "notes.txt", "text\n");
    FileTree text_tree;
    REQUIRE(uk::image::pack_contents(text_tree, {.base_dir = dir.path(), .files = {"notes.txt"}}, {.strip = true}));
    CHECK(std::holds_alternative<HostFile>(entry(text_tree, "/notes.txt").content));
}
