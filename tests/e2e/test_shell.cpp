// What a shell user gets beside the commands: completion for bash and zsh, the man page,
// -q and -v on every command, and colour only on a terminal (NO_COLOR respected).
#include "e2e/uk_cli.hpp"
#include "support/tools.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using uk::test::UkCli;

namespace {

// Runs `script` in `shell` as a user would: uk on PATH, UK_HOME the test's own, in an
// empty folder (so file-name completion offers nothing).
uk::test::ToolResult in_shell(const UkCli& uk, const std::string& shell, const std::string& script)
{
    auto bin = uk.work() / "bin";
    auto empty = uk.work() / "empty";
    std::filesystem::create_directories(bin);
    std::filesystem::create_directories(empty);
    std::error_code ec;
    std::filesystem::create_symlink(UkCli::binary(), bin / "uk", ec);
    auto file = uk.work() / ("script." + shell);
    uk::test::write_text(file, "export UK_HOME='" + uk.home().path().string() + "'\nexport PATH='" + bin.string() +
                                   ":'\"$PATH\"\ncd '" + empty.string() + "'\n" + script);
    return uk::test::run_tool({shell, file.string()});
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

// Every command that does something (the leaves of the command tree), from the man page's
// synopsis: "uk image create [OPTIONS] [PROGRAM]" -> "image create".
std::vector<std::string> leaf_commands(UkCli& uk)
{
    auto page = uk.run({"manpage"});
    std::vector<std::string> commands;
    auto all = lines(page.out);
    for (std::size_t i = 0; i + 1 < all.size(); i++) {
        if (all[i] != ".br")
            continue;
        std::string command;
        std::istringstream words(all[i + 1]);
        std::string word;
        words >> word; // uk
        while (words >> word && word.find_first_of("[A-Z\\") != 0)
            command += (command.empty() ? "" : " ") + word;
        commands.push_back(command);
    }
    return commands;
}

// `uk COMMAND --help` for a command path such as "image create".
uk::test::UkResult help_of(UkCli& uk, const std::string& command)
{
    std::vector<std::string> args;
    std::istringstream words(command);
    for (std::string word; words >> word;)
        args.push_back(word);
    args.push_back("--help");
    return uk.run(args);
}

} // namespace

TEST_CASE("bash completion loads and offers commands, flags, choices and image names", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_GO_SERVER, "-n", "web", "-q"}).status == 0);
    auto result = in_shell(uk, "bash", R"(source <(uk completion bash)
complete -p uk
offered() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _uk; echo "[${COMPREPLY[*]}]"; }
offered uk doc
offered uk image ''
offered uk image ls -
offered uk run --accel ''
offered uk run -m 64M --compression l
offered uk image inspect w
offered uk run w
offered uk image create -t v
offered uk completion ''
offered uk instance stop ''
)");
    INFO(result.output);
    REQUIRE(result.status == 0);
    CHECK(lines(result.output) == std::vector<std::string>{
                                      "complete -F _uk uk",
                                      "[doctor]",
                                      "[create pull push list inspect rm]",
                                      "[-h --help --json -q --quiet -v --verbose]",
                                      "[auto kvm tcg]",
                                      "[lz4]",
                                      "[web]",
                                      "[web]",
                                      "[vmdk vhd]",
                                      "[bash zsh]",
                                      "[]",
                                  });
}

TEST_CASE("zsh completion parses and offers the same words", "[e2e]")
{
    UkCli uk;
    REQUIRE(uk.run({"build", UK_TEST_GO_SERVER, "-n", "web", "-q"}).status == 0);
    // zsh's completion builtins only work inside its completion widgets, so they are
    // stood in for by functions that print what they were given.
    auto result = in_shell(uk, "zsh", R"(uk completion zsh > _uk
zsh -n _uk || exit 3
compdef() { print -r -- "compdef $*"; }
compadd() { [[ $1 == -- ]] && shift; print -rn -- "${(j: :)@} "; }
_files() { print -rn -- "<files $*> "; }
source ./_uk
offered() { words=("$@"); CURRENT=${#words}; _uk; print; }
offered uk ''
offered uk run --net ''
offered uk image rm ''
offered uk build --sysroot ''
offered uk build ''
)");
    INFO(result.output);
    REQUIRE(result.status == 0);
    CHECK(lines(result.output) == std::vector<std::string>{
                                      "compdef _uk uk",
                                      "build run instance ps image volume doctor completion ",
                                      "user tap bridge none ",
                                      "web <files > ",
                                      "<files -/> ",
                                      "<files > ",
                                  });
}

TEST_CASE("the man page renders with man and says what --help says", "[e2e]")
{
    UkCli uk;
    auto page = uk.run({"manpage"});
    REQUIRE(page.status == 0);
    auto file = uk.work() / "uk.1";
    uk::test::write_text(file, page.out);
    auto shown = uk::test::run_tool({"env", "MANWIDTH=200", "LC_ALL=C.UTF-8", "man", "-P", "cat", "-l", file.string()});
    REQUIRE(shown.status == 0);
    auto commands = leaf_commands(uk);
    CHECK(commands.size() >= 13);
    for (const auto& command : commands) {
        INFO(command);
        auto help = help_of(uk, command);
        REQUIRE(help.status == 0);
        // The first line of --help is the command's summary; the page has it too.
        CHECK(shown.output.find(lines(help.out).at(0)) != std::string::npos);
        // Every long flag --help lists is on the page.
        for (const auto& line : lines(help.out)) {
            auto at = line.find("--");
            if (!line.starts_with("  -") || at == std::string::npos)
                continue;
            auto flag = line.substr(at, line.find_first_of(" ,", at) - at);
            INFO(flag);
            CHECK(shown.output.find(flag) != std::string::npos);
        }
    }
    for (const char* section : {"SYNOPSIS", "COMMANDS", "ENVIRONMENT", "EXIT STATUS", "NO_COLOR", "uk doctor [OPTIONS]"})
        CHECK(shown.output.find(section) != std::string::npos);
    CHECK(uk.run({"--help"}).out.find("manpage") == std::string::npos); // for packaging, not listed
}

TEST_CASE("every command takes -q and -v, and they mean the same everywhere but on uk run", "[e2e]")
{
    UkCli uk;
    for (const auto& command : leaf_commands(uk)) {
        INFO(command);
        auto help = help_of(uk, command).out;
        CHECK(help.find("  -q,--quiet ") != std::string::npos);
        // uk run's -v is docker's --volume; --verbose is spelled out there.
        CHECK(help.find(command == "run" ? "  --verbose " : "  -v,--verbose ") != std::string::npos);
    }
    CHECK(help_of(uk, "run").out.find("  -v,--volume MOUNT ") != std::string::npos);
    auto image = (uk.work() / "web.img").string();
    auto quiet = uk.run({"build", UK_TEST_GO_SERVER, "-o", image, "-q"});
    CHECK(quiet.out == image + "\n");
    CHECK(quiet.err.empty());
    auto verbose = uk.run({"build", UK_TEST_GO_SERVER, "-o", image, "-v"});
    CHECK(verbose.out.starts_with("built " + image));
    CHECK(verbose.err.find("uk: packing /go-server (" + std::string(UK_TEST_GO_SERVER) + ", program)\n") !=
          std::string::npos);
    REQUIRE(uk.run({"build", UK_TEST_GO_SERVER, "-n", "web", "-q"}).status == 0);
    CHECK(uk.run({"image", "list", "-q"}).out == "web\n");
    auto both = uk.run({"image", "list", "-q", "-v"});
    CHECK(both.status == 2);
    CHECK(both.err == "uk: error: -q and -v ask for opposite things: give one of them\n");
}

TEST_CASE("colour only on a terminal, and never with NO_COLOR", "[e2e]")
{
    UkCli uk;
    // script(1) gives uk a terminal; the test reads what it wrote there.
    auto on_terminal = [&](const std::string& environment) {
        return in_shell(uk, "bash", environment + " script -qec 'uk run /nonexistent/server' /dev/null").output;
    };
    CHECK(on_terminal("").find("uk: \033[1;31merror:\033[0m ") != std::string::npos);
    auto plain = on_terminal("NO_COLOR=1");
    CHECK(plain.find("uk: error: ") != std::string::npos);
    CHECK(plain.find('\033') == std::string::npos);
    CHECK(on_terminal("TERM=dumb").find('\033') == std::string::npos);
    auto piped = uk.run({"run", "/nonexistent/server"}); // stderr is a file here
    CHECK(piped.err.find('\033') == std::string::npos);
}

TEST_CASE("uk completion for a shell it does not know: one line, status 2", "[e2e]")
{
    UkCli uk;
    auto result = uk.run({"completion", "fish"});
    CHECK(result.status == 2);
    CHECK(result.out.empty());
    CHECK(result.err == "uk: error: uk completion knows bash and zsh, not \"fish\"\n");
}
