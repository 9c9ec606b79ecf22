#include "upload/credentials.hpp"

#include "core/files.hpp"

#include <sstream>

namespace uk::upload {
namespace {

std::string trim(const std::string& text)
{
    auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos)
        return "";
    return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

} // namespace

Result<Credentials> find_credentials(const state::Environment& environment)
{
    auto id = environment("AWS_ACCESS_KEY_ID");
    auto secret = environment("AWS_SECRET_ACCESS_KEY");
    if (id && secret && !id->empty() && !secret->empty())
        return Credentials{*id, *secret, environment("AWS_SESSION_TOKEN").value_or("")};

    auto profile = environment("AWS_PROFILE").value_or("default");
    std::filesystem::path file;
    if (auto shared = environment("AWS_SHARED_CREDENTIALS_FILE"))
        file = *shared;
    else if (auto home = environment("HOME"))
        file = std::filesystem::path(*home) / ".aws/credentials";
    auto text = file.empty() ? Result<std::string>(fail(ErrorKind::not_found, "no HOME")) : read_file(file);
    if (!text)
        return fail(ErrorKind::not_found,
                    "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a [{}] profile to {}",
                    profile, file.empty() ? std::string("~/.aws/credentials") : file.string());
    Credentials found;
    bool in_profile = false, seen = false;
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
        line = trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';')
            continue;
        if (line.front() == '[' && line.back() == ']') {
            in_profile = trim(line.substr(1, line.size() - 2)) == profile;
            seen = seen || in_profile;
            continue;
        }
        auto equals = line.find('=');
        if (!in_profile || equals == std::string::npos)
            continue;
        auto key = trim(line.substr(0, equals));
        auto value = trim(line.substr(equals + 1));
        if (key == "aws_access_key_id")
            found.access_key_id = value;
        else if (key == "aws_secret_access_key")
            found.secret_access_key = value;
        else if (key == "aws_session_token")
            found.session_token = value;
    }
    if (!seen)
        return fail(ErrorKind::not_found, "no profile [{}] in {}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                                          "AWS_SECRET_ACCESS_KEY",
                    profile, file.string());
    if (found.access_key_id.empty() || found.secret_access_key.empty())
        return fail(ErrorKind::invalid_input, "profile [{}] in {} lacks aws_access_key_id or aws_secret_access_key",
                    profile, file.string());
    return found;
}

std::string find_region(const std::string& flag, const state::Environment& environment)
{
    if (!flag.empty())
        return flag;
    if (auto region = environment("AWS_REGION"); region && !region->empty())
        return *region;
    if (auto region = environment("AWS_DEFAULT_REGION"); region && !region->empty())
        return *region;
    return "us-east-1";
}

} // namespace uk::upload
