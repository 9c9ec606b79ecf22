#include "cli/completion.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace uk::cli {
namespace {

bool is_choice_list(const std::string& value)
{
    return value.find('|') != std::string::npos &&
           std::all_of(value.begin(), value.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '|' || c == '-';
           });
}

// What the shell offers for a value: a kind the scripts know, or VALUE (nothing to offer).
std::string completion_kind(const std::string& value)
{
    static const std::vector<std::string> known{"FILE", "DIR", "IMAGE", "INSTANCE", "VOLUME", "MOUNT", "TAP", "BRIDGE"};
    if (is_choice_list(value) || std::find(known.begin(), known.end(), value) != known.end())
        return value;
    return "VALUE";
}

// Positionals are known by their value when it is a kind, else by their name.
std::string positional_kind(const OptionText& option)
{
    auto kind = completion_kind(option.value);
    if (kind != "VALUE")
        return kind;
    static const std::map<std::string, std::string> by_name{
        {"PROGRAM", "FILE"}, {"TARGET", "IMAGE"}, {"IMAGE", "IMAGE"}, {"INSTANCE", "INSTANCE"}, {"VOLUME", "VOLUME"}};
    auto found = by_name.find(option.name);
    return found == by_name.end() ? "" : found->second;
}

std::string join(const std::vector<std::string>& words)
{
    std::string out;
    for (const auto& word : words)
        out += (out.empty() ? "" : " ") + word;
    return out;
}

// Every way of spelling a command's path, aliases included: {"image list", "image ls"}.
std::vector<std::string> spellings(const std::vector<CommandText>& commands, const CommandText& command)
{
    std::vector<std::string> out{""};
    for (std::size_t depth = 0; depth < command.path.size(); depth++) {
        std::vector<std::string> prefix(command.path.begin(), command.path.begin() + static_cast<long>(depth) + 1);
        std::vector<std::string> names{command.path[depth]};
        for (const auto& other : commands)
            if (other.path == prefix)
                names.insert(names.end(), other.aliases.begin(), other.aliases.end());
        std::vector<std::string> next;
        for (const auto& start : out)
            for (const auto& name : names)
                next.push_back(start.empty() ? name : start + " " + name);
        out = std::move(next);
    }
    return out;
}

// The shell-neutral part: _uk_spec sets, for a command path, what can follow it.
std::string spec_function(const std::vector<CommandText>& commands)
{
    std::string out = "_uk_spec() {\n"
                      "    # For the command path in $1: the subcommands offered, every word that names one\n"
                      "    # (aliases too), the flags, the flags that take a value (FLAG=KIND) and the kind\n"
                      "    # of the positional arguments.\n"
                      "    _uk_subcommands=\"\" _uk_known=\"\" _uk_flags=\"\" _uk_valued=\"\" _uk_positional=\"\"\n"
                      "    case \"$1\" in\n";
    for (const auto& command : commands) {
        std::vector<std::string> known = command.subcommands, flags, valued;
        for (const auto& other : commands)
            if (other.path.size() == command.path.size() + 1 &&
                std::equal(command.path.begin(), command.path.end(), other.path.begin()))
                known.insert(known.end(), other.aliases.begin(), other.aliases.end());
        std::string positional;
        for (const auto& option : command.options) {
            if (option.flags.empty()) {
                if (positional.empty())
                    positional = positional_kind(option);
                continue;
            }
            for (const auto& flag : option.flags) {
                flags.push_back(flag);
                if (!option.value.empty())
                    valued.push_back(flag + "=" + completion_kind(option.value));
            }
        }
        std::string patterns;
        for (const auto& spelling : spellings(commands, command))
            patterns += (patterns.empty() ? "" : "|") + fmt::format("\"{}\"", spelling);
        out += fmt::format("        {})\n"
                           "            _uk_subcommands=\"{}\"\n"
                           "            _uk_known=\"{}\"\n"
                           "            _uk_flags=\"{}\"\n"
                           "            _uk_valued=\"{}\"\n"
                           "            _uk_positional=\"{}\" ;;\n",
                           patterns, join(command.subcommands), join(known), join(flags), join(valued), positional);
    }
    out += "    esac\n}\n\n";
    out += "_uk_kind_of() {\n"
           "    # The kind of value flag $1 takes in the current _uk_spec, or nothing.\n"
           "    [ -n \"$ZSH_VERSION\" ] && setopt local_options sh_word_split\n"
           "    local pair\n"
           "    for pair in $_uk_valued; do\n"
           "        if [ \"${pair%%=*}\" = \"$1\" ]; then\n"
           "            printf '%s\\n' \"${pair#*=}\"\n"
           "            return\n"
           "        fi\n"
           "    done\n"
           "}\n\n"
           "_uk_net_devices() {\n"
           "    # Taps (they have tun_flags) or bridges (they have bridge/) that exist now.\n"
           "    local device\n"
           "    for device in /sys/class/net/*; do\n"
           "        [ -e \"$device/$1\" ] && printf '%s\\n' \"${device##*/}\"\n"
           "    done\n"
           "}\n\n"
           "_uk_locate() {\n"
           "    # Walks the words between uk and the cursor, given as arguments: sets _uk_path\n"
           "    # to the command path, and _uk_value_kind to the kind of value the word at the\n"
           "    # cursor is when it follows a flag that takes one.\n"
           "    _uk_path=\"\" _uk_value_kind=\"\"\n"
           "    local word kind\n"
           "    while [ $# -gt 0 ]; do\n"
           "        word=$1\n"
           "        shift\n"
           "        _uk_spec \"$_uk_path\"\n"
           "        case \"$word\" in\n"
           "            --*=*) ;;\n"
           "            -*)\n"
           "                kind=$(_uk_kind_of \"$word\")\n"
           "                if [ -n \"$kind\" ]; then\n"
           "                    if [ $# -eq 0 ]; then _uk_value_kind=$kind; else shift; fi\n"
           "                fi ;;\n"
           "            *)\n"
           "                case \" $_uk_known \" in\n"
           "                    *\" $word \"*) _uk_path=\"${_uk_path:+$_uk_path }$word\" ;;\n"
           "                esac ;;\n"
           "        esac\n"
           "    done\n"
           "    _uk_spec \"$_uk_path\"\n"
           "}\n\n";
    return out;
}

} // namespace

std::string render_bash_completion(const std::vector<CommandText>& commands, const std::string& version)
{
    auto out = fmt::format("# bash completion for uk {}: generated by 'uk completion bash' from uk's own\n"
                           "# command declarations. Load it now with: source <(uk completion bash)\n\n",
                           version);
    out += spec_function(commands);
    out += R"SH(_uk_offer() {
    # COMPREPLY for a value of kind $1 that starts with $2.
    local IFS=$'\n'
    case "$1" in
        FILE) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$2")) ;;
        DIR) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$2")) ;;
        IMAGE)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -W "$(uk image list -q 2>/dev/null)" -- "$2") $(compgen -f -- "$2")) ;;
        INSTANCE) COMPREPLY=($(compgen -W "$(uk instance list -q 2>/dev/null)" -- "$2")) ;;
        VOLUME) COMPREPLY=($(compgen -W "$(uk volume list -q 2>/dev/null)" -- "$2")) ;;
        MOUNT)
            # A volume's name, or a host folder (from / or .), before the ':'.
            compopt -o nospace 2>/dev/null
            COMPREPLY=($(compgen -W "$(uk volume list -q 2>/dev/null | sed 's/$/:/')" -- "$2") $(compgen -d -S / -- "$2")) ;;
        TAP) COMPREPLY=($(compgen -W "$(_uk_net_devices tun_flags)" -- "$2")) ;;
        BRIDGE) COMPREPLY=($(compgen -W "$(_uk_net_devices bridge)" -- "$2")) ;;
        *"|"*) COMPREPLY=($(compgen -W "${1//|/$'\n'}" -- "$2")) ;;
        *) COMPREPLY=() ;;
    esac
}

_uk() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    _uk_locate "${COMP_WORDS[@]:1:COMP_CWORD-1}"
    if [ -n "$_uk_value_kind" ]; then
        _uk_offer "$_uk_value_kind" "$cur"
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$_uk_flags" -- "$cur"))
    elif [ -n "$_uk_subcommands" ]; then
        COMPREPLY=($(compgen -W "$_uk_subcommands" -- "$cur"))
    else
        _uk_offer "$_uk_positional" "$cur"
    fi
}

complete -F _uk uk
)SH";
    return out;
}

std::string render_zsh_completion(const std::vector<CommandText>& commands, const std::string& version)
{
    auto out = fmt::format("#compdef uk\n"
                           "# zsh completion for uk {}: generated by 'uk completion zsh' from uk's own\n"
                           "# command declarations. Load it now with: source <(uk completion zsh)\n\n",
                           version);
    out += spec_function(commands);
    out += R"SH(_uk_offer() {
    # Candidates for a value of kind $1.
    case "$1" in
        FILE) _files ;;
        DIR) _files -/ ;;
        IMAGE) compadd -- ${(f)"$(uk image list -q 2>/dev/null)"}; _files ;;
        INSTANCE) compadd -- ${(f)"$(uk instance list -q 2>/dev/null)"} ;;
        VOLUME) compadd -- ${(f)"$(uk volume list -q 2>/dev/null)"} ;;
        MOUNT) compadd -S : -- ${(f)"$(uk volume list -q 2>/dev/null)"}; _files -/ ;;
        TAP) compadd -- ${(f)"$(_uk_net_devices tun_flags)"} ;;
        BRIDGE) compadd -- ${(f)"$(_uk_net_devices bridge)"} ;;
        *"|"*) compadd -- ${(s:|:)1} ;;
    esac
}

_uk() {
    _uk_locate "${(@)words[2,CURRENT-1]}"
    if [[ -n $_uk_value_kind ]]; then
        _uk_offer "$_uk_value_kind"
    elif [[ ${words[CURRENT]} == -* ]]; then
        compadd -- ${=_uk_flags}
    elif [[ -n $_uk_subcommands ]]; then
        compadd -- ${=_uk_subcommands}
    else
        _uk_offer "$_uk_positional"
    fi
}

if [[ ${funcstack[1]} == _uk ]]; then
    _uk "$@"
else
    compdef _uk uk
fi
)SH";
    return out;
}

} // namespace uk::cli
