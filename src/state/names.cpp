#include "state/names.hpp"

#include <algorithm>
#include <cctype>

namespace uk::state {

Status check_name(std::string_view what, const std::string& name)
{
    bool valid = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0])) &&
                 std::all_of(name.begin(), name.end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                 });
    if (!valid)
        return fail(ErrorKind::usage,
                    "{} name \"{}\" is not valid: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting "
                    "with a letter or digit",
                    what, name);
    return {};
}

} // namespace uk::state
