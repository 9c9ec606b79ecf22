// uk-init's manifest reader (and under it the JSON reader both halves share): it runs as
// PID 1, where a crash is a kernel panic.
#include "uk-init/manifest.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    manifest m{};
    char error[512];
    if (manifest_parse(reinterpret_cast<const char*>(data), size, &m, error, sizeof error) == 0)
        manifest_free(&m);
    return 0;
}
