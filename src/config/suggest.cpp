#include "config/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace uk::config {
namespace {

std::string lower(std::string text)
{
    for (auto& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Edits between two names, ignoring case, where swapping two neighbouring letters counts
// as one edit ("Agrs" is one from "Args"): the optimal string alignment distance.
std::size_t distance(const std::string& a, const std::string& b)
{
    auto same = [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    };
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); i++)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); j++)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); i++)
        for (std::size_t j = 1; j <= b.size(); j++) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]))
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

} // namespace

std::optional<std::string> closest_name(const std::string& name, const std::vector<std::string>& known)
{
    std::optional<std::string> best;
    std::size_t best_distance = 3;
    for (const auto& candidate : known) {
        if (lower(candidate) == lower(name))
            return candidate;
        auto d = distance(name, candidate);
        // Short names need closer matches: two edits turn "Env" into almost anything.
        if (d < best_distance && d * 3 <= candidate.size()) {
            best = candidate;
            best_distance = d;
        }
    }
    return best;
}

} // namespace uk::config
