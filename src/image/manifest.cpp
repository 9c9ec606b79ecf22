#include "image/manifest.hpp"

#include <fmt/format.h>

namespace uk::image {
namespace {

// How long the UTF-8 sequence starting at `at` is, or 0 when it is not one.
std::size_t utf8_length(std::string_view text, std::size_t at)
{
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    auto lead = byte(at);
    std::size_t length = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;
    if (length == 0 || at + length > text.size() || (length == 2 && lead < 0xC2))
        return 0;
    for (std::size_t i = 1; i < length; i++)
        if ((byte(at + i) & 0xC0) != 0x80)
            return 0;
    if (length == 3) { // no overlong forms, no UTF-16 surrogates
        auto second = byte(at + 1);
        if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second >= 0xA0))
            return 0;
    }
    if (length == 4 && ((lead == 0xF0 && byte(at + 1) < 0x90) || lead > 0xF4 || (lead == 0xF4 && byte(at + 1) >= 0x90)))
        return 0;
    return length;
}

// A JSON string that carries any bytes: valid UTF-8 as it is, every other byte as a lone
// low surrogate \uDC80-\uDCFF, which uk-init's reader turns back into that byte (Python's
// "surrogateescape"). Arguments, environment and file names are bytes on Linux.
std::string quoted(std::string_view text)
{
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
            i++;
        } else if (c < 0x20) {
            out += fmt::format("\\u{:04x}", c);
            i++;
        } else if (auto length = utf8_length(text, i)) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            out += fmt::format("\\udc{:02x}", c);
            i++;
        }
    }
    return out + "\"";
}

std::string strings(const std::vector<std::string>& items, const char* indent)
{
    if (items.empty())
        return "[]";
    std::string out = "[\n";
    for (std::size_t i = 0; i < items.size(); i++)
        out += fmt::format("{}  {}{}\n", indent, quoted(items[i]), i + 1 < items.size() ? "," : "");
    return out + indent + "]";
}

std::string limit(std::uint64_t value) { return value == unlimited ? "\"unlimited\"" : std::to_string(value); }

} // namespace

Status check_manifest(const Manifest& m, std::string_view text)
{
    std::size_t total = 0;
    for (std::size_t i = 1; i < m.argv.size(); i++) {
        if (m.argv[i].size() + 1 > argument_limit)
            return fail(ErrorKind::invalid_input,
                        "argument {} is {} bytes, over the {} bytes Linux takes for one argument: pass it in a file "
                        "(Files) instead",
                        i, m.argv[i].size(), argument_limit - 1);
        total += m.argv[i].size() + 1 + sizeof(char*);
    }
    for (const auto& [key, value] : m.env) {
        if (key.size() + value.size() + 2 > argument_limit)
            return fail(ErrorKind::invalid_input,
                        "variable {} is {} bytes, over the {} bytes Linux takes for one variable: pass it in a file "
                        "(Files) instead",
                        key, key.size() + value.size() + 1, argument_limit - 1);
        total += key.size() + value.size() + 2 + sizeof(char*);
    }
    if (total > start_limit)
        return fail(ErrorKind::invalid_input,
                    "arguments and environment take {} bytes, over the {} Linux gives a program at its start: pass "
                    "some in a file (Files) instead",
                    total, start_limit);
    if (text.size() > manifest_limit)
        return fail(ErrorKind::invalid_input, "the image's manifest would be {} bytes, over uk-init's {}", text.size(),
                    manifest_limit);
    return {};
}

std::string to_json(const Manifest& m)
{
    // Pretty-printed, keys in a fixed order: part of the reproducible image.
    std::vector<std::string> fields;
    fields.push_back("\"version\": 1");
    fields.push_back("\"program\": " + quoted(m.program));
    fields.push_back("\"argv\": " + strings(m.argv, "  "));
    std::string env = "{";
    for (std::size_t i = 0; i < m.env.size(); i++)
        env += fmt::format("{}\n    {}: {}", i ? "," : "", quoted(m.env[i].first), quoted(m.env[i].second));
    fields.push_back("\"env\": " + env + (m.env.empty() ? "}" : "\n  }"));
    fields.push_back("\"cwd\": " + quoted(m.cwd));
    fields.push_back("\"hostname\": " + quoted(m.hostname));
    fields.push_back(fmt::format("\"readonly_root\": {}", m.readonly_root));
    if (m.writable_root_mib)
        fields.push_back(fmt::format("\"writable_root_mib\": {}", *m.writable_root_mib));
    std::string mounts = "[";
    for (std::size_t i = 0; i < m.mounts.size(); i++) {
        const auto& mount = m.mounts[i];
        mounts += fmt::format("{}\n    {{\n      \"source\": {},\n      \"target\": {},\n      \"type\": {},\n      "
                              "\"options\": {}\n    }}",
                              i ? "," : "", quoted(mount.source), quoted(mount.target), quoted(mount.type),
                              quoted(mount.options));
    }
    fields.push_back("\"mounts\": " + mounts + (m.mounts.empty() ? "]" : "\n  ]"));
    std::string limits = "{";
    std::size_t n = 0;
    for (const auto& [name, pair] : m.rlimits)
        limits += fmt::format("{}\n    {}: [\n      {},\n      {}\n    ]", n++ ? "," : "", quoted(name),
                              limit(pair.first), limit(pair.second));
    fields.push_back("\"rlimits\": " + limits + (m.rlimits.empty() ? "}" : "\n  }"));
    fields.push_back(fmt::format("\"stop_grace_seconds\": {}", m.stop_grace_seconds));
    if (m.uid)
        fields.push_back(fmt::format("\"uid\": {}", *m.uid));
    if (m.gid)
        fields.push_back(fmt::format("\"gid\": {}", *m.gid));
    std::string out = "{\n";
    for (std::size_t i = 0; i < fields.size(); i++)
        out += "  " + fields[i] + (i + 1 < fields.size() ? ",\n" : "\n");
    return out + "}\n";
}

} // namespace uk::image
