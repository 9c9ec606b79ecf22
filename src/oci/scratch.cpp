#include "oci/scratch.hpp"

#include "core/files.hpp"
#include "core/temporary_files.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace uk::oci {

Result<ScratchFolder> ScratchFolder::make(const std::filesystem::path& cache, const std::string& what)
{
    auto parent = cache / "oci" / "tmp";
    if (auto made = create_private_directories(parent); !made)
        return fail(made.error());
    remove_stale_temporaries(parent);
    auto pattern = temporary_pattern(parent / what);
    if (!::mkdtemp(pattern.data()))
        return fail(ErrorKind::io, "cannot make a folder in {}: {}", parent.string(), std::strerror(errno));
    return ScratchFolder(pattern);
}

ScratchFolder::~ScratchFolder()
{
    std::error_code ec;
    if (!path_.empty())
        std::filesystem::remove_all(path_, ec);
}

} // namespace uk::oci
