// A folder for one test, removed when the test ends (kept when UK_KEEP_TEST_DIRS is set,
// to look at a failure).
#pragma once

#include <filesystem>

namespace uk::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& relative) const { return path_ / relative; }

private:
    std::filesystem::path path_;
};

} // namespace uk::test
