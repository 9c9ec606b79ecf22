// Pull progress on the terminal: one line per layer, redrawn as its bytes arrive, and
// nothing at all with -q or when stderr is not a terminal (CI logs stay clean). Also the
// bar `uk image push` and `uk image create --upload` draw for one file.
#pragma once

#include "oci/pull.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace uk::cli {

class LayerProgress final : public oci::PullProgress {
public:
    void layer_started(std::size_t index, std::size_t count, const oci::Descriptor& layer) override;
    void layer_advanced(std::size_t index, std::uint64_t done, std::uint64_t total) override;
    void layer_finished(std::size_t index) override;

private:
    std::string label_;
    std::uint64_t total_ = 0;
    std::uint64_t shown_ = ~std::uint64_t{0};
};

// A bar for one file ("uploading NAME"); does nothing unless log::progress().
std::function<void(std::uint64_t, std::uint64_t)> progress_bar(const std::string& verb, const std::string& what);

} // namespace uk::cli
