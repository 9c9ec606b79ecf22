#include "cli/layer_progress.hpp"

#include "core/log.hpp"
#include "core/units.hpp"

#include <cstdio>

namespace uk::cli {
namespace {

void draw(const std::string& label, std::uint64_t done, std::uint64_t total)
{
    constexpr int width = 30;
    int filled = total ? static_cast<int>(static_cast<double>(std::min(done, total)) / static_cast<double>(total) * width)
                       : width;
    std::fprintf(stderr, "\r\033[Kuk: %s [%s%s] %s / %s", label.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), human_bytes(done).c_str(),
                 human_bytes(total).c_str());
    std::fflush(stderr);
}

} // namespace

void LayerProgress::layer_started(std::size_t index, std::size_t count, const oci::Descriptor& layer)
{
    label_ = fmt::format("layer {}/{} {}", index + 1, count, layer.digest.short_form());
    total_ = layer.size;
    shown_ = ~std::uint64_t{0};
    if (log::progress())
        draw(label_, 0, total_);
}

void LayerProgress::layer_advanced(std::size_t, std::uint64_t done, std::uint64_t total)
{
    total_ = total;
    // Redrawn at most every 1% (a bar per libcurl callback would flood a slow terminal).
    if (!log::progress() || (shown_ != ~std::uint64_t{0} && done - shown_ < total / 100 && done != total))
        return;
    shown_ = done;
    draw(label_, done, total);
}

void LayerProgress::layer_finished(std::size_t)
{
    if (!log::progress())
        return;
    draw(label_, total_, total_);
    std::fputc('\n', stderr);
}

std::function<void(std::uint64_t, std::uint64_t)> progress_bar(const std::string& verb, const std::string& what)
{
    if (!log::progress())
        return [](std::uint64_t, std::uint64_t) {};
    auto label = verb + " " + what;
    return [label](std::uint64_t done, std::uint64_t total) {
        draw(label, done, total);
        if (done == total)
            std::fputc('\n', stderr);
    };
}

} // namespace uk::cli
