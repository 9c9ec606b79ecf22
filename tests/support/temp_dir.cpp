#include "support/temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace uk::test {

TempDir::TempDir()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "uk-test-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a temporary folder");
    path_ = pattern;
}

TempDir::~TempDir()
{
    if (std::getenv("UK_KEEP_TEST_DIRS"))
        return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

} // namespace uk::test
