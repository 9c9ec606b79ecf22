#include "volume/store.hpp"

#include "core/files.hpp"
#include "core/temporary_files.hpp"
#include "core/units.hpp"
#include "state/names.hpp"
#include "volume/ext4.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace uk::volume {
namespace {

constexpr const char* record_name = "volume.json";

Status write_record(const std::filesystem::path& folder, const std::string& name)
{
    nlohmann::json record{{"name", name}, {"created", format_utc(std::time(nullptr))}};
    return write_file_atomically(folder / record_name, as_bytes(record.dump(2) + "\n"));
}

std::string created_of(const std::filesystem::path& folder)
{
    auto text = read_file(folder / record_name);
    if (!text)
        return "";
    auto record = nlohmann::json::parse(*text, nullptr, false);
    return record.is_object() ? record.value("created", "") : "";
}

Status no_such_volume(const std::string& name)
{
    return fail(ErrorKind::not_found, "no volume named {}: see uk volume ls, or make it with uk volume create {}", name,
                name);
}

} // namespace

Status check_size(std::uint64_t size_bytes)
{
    if (size_bytes < minimum_size_bytes || size_bytes > maximum_size_bytes)
        return fail(ErrorKind::usage, "a volume's size must be from 16M to 16T, got {}M", size_bytes >> 20);
    return {};
}

bool Store::exists(const std::string& name) const
{
    std::error_code ec;
    return state::check_name("volume", name) && std::filesystem::is_regular_file(data_file(name), ec);
}

Result<Volume> Store::create(const std::string& name, std::uint64_t size_bytes,
                             const std::optional<std::filesystem::path>& from, const Cancelled& cancelled) const
{
    if (auto valid = state::check_name("volume", name); !valid)
        return fail(valid.error());
    if (auto sized = check_size(size_bytes); !sized)
        return fail(sized.error());
    if (exists(name))
        return fail(ErrorKind::unavailable, "volume {} already exists: see uk volume inspect {}", name, name);
    std::error_code ec;
    if (from && !std::filesystem::is_directory(*from, ec))
        return fail(ErrorKind::not_found, "--from {}: no such folder", from->string());
    if (auto made = create_private_directories(folder_); !made)
        return fail(made.error());
    remove_stale_temporaries(folder_);

    auto pattern = temporary_pattern(folder_ / name);
    if (!::mkdtemp(pattern.data()))
        return fail(ErrorKind::io, "cannot make a folder in {}: {}", folder_.string(), std::strerror(errno));
    std::filesystem::path building(pattern);
    auto made = [&]() -> Status {
        if (auto formatted = make_ext4(building / "data.ext4", size_bytes, name, from, cancelled); !formatted)
            return formatted;
        if (auto recorded = write_record(building, name); !recorded)
            return recorded;
        if (::rename(building.c_str(), (folder_ / name).c_str()) != 0) {
            if (errno == EEXIST || errno == ENOTEMPTY)
                return fail(ErrorKind::unavailable, "volume {} already exists: see uk volume inspect {}", name, name);
            return fail(ErrorKind::io, "cannot move volume {} into {}: {}", name, folder_.string(), std::strerror(errno));
        }
        return {};
    }();
    if (!made) {
        std::filesystem::remove_all(building, ec);
        return fail(made.error());
    }
    return inspect(name);
}

Result<Volume> Store::inspect(const std::string& name) const
{
    if (auto valid = state::check_name("volume", name); !valid)
        return fail(valid.error());
    if (!exists(name))
        return fail(no_such_volume(name).error());
    auto file = data_file(name);
    struct stat st{};
    if (::stat(file.c_str(), &st) != 0)
        return fail(ErrorKind::io, "cannot read {}: {}", file.string(), std::strerror(errno));
    auto summary = read_ext4_summary(file);
    if (!summary)
        return fail(summary.error());
    return Volume{
        .name = name,
        .size_bytes = summary->size_bytes,
        .used_bytes = static_cast<std::uint64_t>(st.st_blocks) * 512,
        .created = created_of(folder_ / name),
        .clean = summary->clean,
        .file = file,
    };
}

Result<std::vector<Volume>> Store::list() const
{
    std::vector<Volume> volumes;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
        auto name = entry.path().filename().string();
        if (!exists(name))
            continue; // temporaries, and anything else that is not a volume
        auto volume = inspect(name);
        if (!volume)
            return fail(volume.error());
        volumes.push_back(*volume);
    }
    std::sort(volumes.begin(), volumes.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return volumes;
}

Status Store::remove(const std::string& name) const
{
    if (!exists(name))
        return no_such_volume(name);
    // Renamed away first: from then on it is not listed, whatever happens to the rest.
    auto pattern = temporary_pattern(folder_ / name);
    if (!::mkdtemp(pattern.data()))
        return fail(ErrorKind::io, "cannot remove volume {}: {}", name, std::strerror(errno));
    std::filesystem::path away(pattern);
    if (::rename((folder_ / name).c_str(), away.c_str()) != 0) {
        int saved = errno;
        ::rmdir(away.c_str());
        return fail(ErrorKind::io, "cannot remove volume {}: {}", name, std::strerror(saved));
    }
    std::error_code ec;
    std::filesystem::remove_all(away, ec);
    if (ec)
        return fail(ErrorKind::io, "removed volume {}, but not all of {}: {}", name, away.string(), ec.message());
    return {};
}

} // namespace uk::volume
