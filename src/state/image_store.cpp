#include "state/image_store.hpp"

#include "state/names.hpp"

#include <algorithm>
#include <sys/stat.h>

namespace uk::state {

bool ImageStore::contains(const std::string& name) const
{
    std::error_code ec;
    return check_name("image", name) && std::filesystem::is_regular_file(file_of(name), ec);
}

Result<std::vector<ImageStore::Entry>> ImageStore::list() const
{
    std::vector<Entry> entries;
    std::error_code ec;
    if (!std::filesystem::exists(folder_, ec))
        return entries;
    for (const auto& item : std::filesystem::directory_iterator(folder_, ec)) {
        if (item.path().extension() != ".img")
            continue;
        struct stat st{};
        if (::stat(item.path().c_str(), &st) != 0)
            continue; // removed while listing
        entries.push_back({item.path().stem().string(), item.path(), static_cast<std::uint64_t>(st.st_size),
                           st.st_mtime});
    }
    if (ec)
        return fail(ErrorKind::io, "cannot list the image store {}: {}", folder_.string(), ec.message());
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return entries;
}

Result<std::filesystem::path> ImageStore::resolve(const std::string& name_or_file) const
{
    std::error_code ec;
    if (std::filesystem::is_regular_file(name_or_file, ec))
        return std::filesystem::path(name_or_file);
    if (name_or_file.find('/') == std::string::npos && contains(name_or_file))
        return file_of(name_or_file);
    return fail(ErrorKind::not_found, "{} is neither an image file nor an image in {} (uk image list shows them)",
                name_or_file, folder_.string());
}

Status ImageStore::remove(const std::vector<std::string>& names) const
{
    for (const auto& name : names)
        if (!contains(name))
            return fail(ErrorKind::not_found, "no image named {} in {} (uk image list shows them)", name,
                        folder_.string());
    for (const auto& name : names) {
        std::error_code ec;
        if (!std::filesystem::remove(file_of(name), ec) && ec)
            return fail(ErrorKind::io, "cannot remove {}: {}", file_of(name).string(), ec.message());
    }
    return {};
}

} // namespace uk::state
