// How an OCI image's config and the user's settings combine into the program uk starts,
// as `docker run` combines them (app/from_image.hpp).
#include "app/from_image.hpp"

#include <catch2/catch.hpp>

namespace {

// The first bytes of an x86-64 ELF executable, enough for the check uk makes.
std::string x86_64_elf()
{
    std::string header(64, '\0');
    header.replace(0, 4, "\177ELF");
    header[4] = 2;  // 64-bit
    header[18] = 62; // EM_X86_64
    return header;
}

std::string aarch64_elf()
{
    auto header = x86_64_elf();
    header[18] = static_cast<char>(183); // EM_AARCH64
    return header;
}

struct Image {
    uk::oci::PulledImage pulled;
    uk::image::FileTree tree;

    Image()
    {
        pulled.reference = uk::oci::parse_reference("oci:/images/app:v1").value();
        auto& config = pulled.config;
        config.entrypoint = std::vector<std::string>{"server"};
        config.cmd = std::vector<std::string>{"-greeting", "hi"};
        config.env = {"PATH=/usr/local/bin:/usr/bin", "PORT=9090", "MODE=image"};
        config.working_dir = "/srv";
        config.user = "app";
        REQUIRE(tree.add_bytes("/usr/local/bin/server", x86_64_elf(), 0755));
        REQUIRE(tree.add_bytes("/usr/bin/arm-tool", aarch64_elf(), 0755));
        REQUIRE(tree.add_bytes("/usr/bin/notes", "just text\n", 0755));
        REQUIRE(tree.add_bytes("/usr/bin/readme", "not executable\n", 0644));
        REQUIRE(tree.add_bytes("/bin/run.sh", "#!/bin/sh\nexec server\n", 0755));
        REQUIRE(tree.add_symlink("/usr/local/bin/alias", "server"));
        REQUIRE(tree.add_bytes("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n"));
        REQUIRE(tree.add_bytes("/etc/group", "root:x:0:\nstaff:x:50:\n"));
    }
};

std::string value_of(const uk::app::ImageStart& start, const std::string& key)
{
    for (const auto& [k, v] : start.env)
        if (k == key)
            return v;
    return "<unset>";
}

} // namespace

TEST_CASE("image start: Entrypoint and Cmd, found in the image's PATH, as the image's user", "[unit][app]")
{
    Image image;
    auto start = uk::app::image_start(image.pulled, image.tree, {});
    REQUIRE(start);
    CHECK(start->program == "/usr/local/bin/server");
    CHECK(start->argv == std::vector<std::string>{"server", "-greeting", "hi"});
    CHECK(start->working_dir == "/srv");
    CHECK(start->uid == 1000);
    CHECK(start->gid == 1001);
    CHECK(value_of(*start, "HOME") == "/home/app");
    CHECK(value_of(*start, "PORT") == "9090");
}

TEST_CASE("image start: -a replaces Cmd, PROGRAM replaces Entrypoint and drops Cmd, -e wins over Env", "[unit][app]")
{
    Image image;
    uk::config::Settings settings;
    settings.args = {"-greeting", "from-flag"};
    settings.env = {{"MODE", "flag"}, {"EXTRA", "1"}};
    auto with_args = uk::app::image_start(image.pulled, image.tree, settings);
    REQUIRE(with_args);
    CHECK(with_args->argv == std::vector<std::string>{"server", "-greeting", "from-flag"});
    CHECK(value_of(*with_args, "MODE") == "flag");
    CHECK(value_of(*with_args, "EXTRA") == "1");
    CHECK(value_of(*with_args, "PORT") == "9090");

    settings.program = "/bin/run.sh";
    settings.args = {};
    auto with_program = uk::app::image_start(image.pulled, image.tree, settings);
    REQUIRE(with_program);
    CHECK(with_program->program == "/bin/run.sh");
    CHECK(with_program->argv == std::vector<std::string>{"/bin/run.sh"});

    settings.program = "alias"; // a symlink in PATH to the ELF
    auto through_link = uk::app::image_start(image.pulled, image.tree, settings);
    REQUIRE(through_link);
    CHECK(through_link->program == "/usr/local/bin/alias");
}

TEST_CASE("image start: User as numbers and names, and what cannot be resolved", "[unit][app]")
{
    Image image;
    image.pulled.config.user = "1000:staff";
    auto named_group = uk::app::image_start(image.pulled, image.tree, {});
    REQUIRE(named_group);
    CHECK(named_group->uid == 1000);
    CHECK(named_group->gid == 50);

    image.pulled.config.user = "4242";
    auto unknown_uid = uk::app::image_start(image.pulled, image.tree, {});
    REQUIRE(unknown_uid);
    CHECK(unknown_uid->uid == 4242);
    CHECK(unknown_uid->gid == 0);

    image.pulled.config.user = "nobody";
    auto missing = uk::app::image_start(image.pulled, image.tree, {});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("user nobody, who is not in its /etc/passwd") != std::string::npos);
}

TEST_CASE("image start: a program that is not there, not executable, not x86-64, or missing altogether", "[unit][app]")
{
    Image image;
    uk::config::Settings settings;
    auto refused = [&](const std::string& program) {
        settings.program = program;
        auto start = uk::app::image_start(image.pulled, image.tree, settings);
        REQUIRE_FALSE(start);
        return start.error().message;
    };
    CHECK(refused("nosuch").starts_with("oci:/images/app:v1 has no program nosuch in its PATH"));
    CHECK(refused("/usr/bin/readme") ==
          "/usr/bin/readme in oci:/images/app:v1 is not an executable file: give the program to run as a path in the "
          "image");
    CHECK(refused("arm-tool").find("is not an x86-64 program") != std::string::npos);
    CHECK(refused("notes").find("is neither an ELF program nor a script") != std::string::npos);

    Image bare;
    bare.pulled.config.entrypoint.reset();
    bare.pulled.config.cmd.reset();
    auto nothing = uk::app::image_start(bare.pulled, bare.tree, {});
    REQUIRE_FALSE(nothing);
    CHECK(nothing.error().kind == uk::ErrorKind::usage);
}
