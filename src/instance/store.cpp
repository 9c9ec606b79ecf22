#include "instance/store.hpp"

#include "core/files.hpp"
#include "state/names.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace uk::instance {

Status check_instance_name(const std::string& name) { return state::check_name("instance", name); }

bool Store::exists(const std::string& name) const
{
    std::error_code ec;
    return std::filesystem::exists(files(name).record(), ec) || std::filesystem::exists(files(name).folder, ec);
}

Result<Files> Store::create(const std::string& name) const
{
    if (auto valid = check_instance_name(name); !valid)
        return fail(valid.error());
    if (auto made = create_private_directories(folder_); !made)
        return fail(made.error());
    if (::mkdir(files(name).folder.c_str(), 0700) != 0) {
        if (errno == EEXIST)
            return fail(ErrorKind::unavailable,
                        "an instance named {} already exists: remove it (uk instance rm {}) or choose another --name",
                        name, name);
        return fail(ErrorKind::io, "cannot create {}: {}", files(name).folder.string(), std::strerror(errno));
    }
    return files(name);
}

Status Store::save(const Record& record) const
{
    // A record is uk's own, but its image path is the user's bytes: never a reason to fail.
    auto text = to_json(record).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return write_file_atomically(files(record.name).record(), as_bytes(text));
}

Result<Record> Store::load(const std::string& name) const
{
    std::error_code ec;
    if (!check_instance_name(name) || !std::filesystem::exists(files(name).record(), ec))
        return fail(ErrorKind::not_found, "no instance named {} (uk ps lists them)", name);
    auto text = read_file(files(name).record());
    if (!text)
        return fail(text.error());
    auto json = nlohmann::json::parse(*text, nullptr, false);
    if (json.is_discarded())
        return fail(ErrorKind::invalid_input, "{} is damaged (not JSON): remove its folder",
                    files(name).record().string());
    return record_from_json(json, files(name).record().string());
}

std::vector<Record> Store::list() const
{
    std::vector<Record> records;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
        auto record = load(entry.path().filename().string());
        if (record)
            records.push_back(std::move(*record));
    }
    std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) { return a.name < b.name; });
    return records;
}

Status Store::remove(const std::string& name) const
{
    std::error_code ec;
    std::filesystem::remove_all(files(name).folder, ec);
    if (ec)
        return fail(ErrorKind::io, "cannot remove {}: {}", files(name).folder.string(), ec.message());
    return {};
}

} // namespace uk::instance
