// The instances folder: one folder per instance, named after it. Creating the folder is
// what claims a name, so two `uk run --name web` cannot both get it.
#pragma once

#include "core/error.hpp"
#include "instance/record.hpp"

#include <filesystem>
#include <vector>

namespace uk::instance {

// Instance names follow image names' rules: 1-64 of [a-z0-9._-], starting with a letter
// or digit.
Status check_instance_name(const std::string& name);

class Store {
public:
    explicit Store(std::filesystem::path folder) : folder_(std::move(folder)) {}

    Files files(const std::string& name) const { return Files{folder_ / name}; }
    bool exists(const std::string& name) const;

    // Claims the name; an error naming it when it is taken.
    Result<Files> create(const std::string& name) const;
    Status save(const Record& record) const; // atomically
    Result<Record> load(const std::string& name) const;
    // Every readable record, by name; damaged ones are skipped.
    std::vector<Record> list() const;
    Status remove(const std::string& name) const;

private:
    std::filesystem::path folder_;
};

} // namespace uk::instance
