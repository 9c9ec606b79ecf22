// Where the AWS command-line tools find credentials, in their order: the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then the profile
// AWS_PROFILE (or "default") of AWS_SHARED_CREDENTIALS_FILE (or ~/.aws/credentials).
#pragma once

#include "core/error.hpp"
#include "state/paths.hpp"
#include "upload/sigv4.hpp"

namespace uk::upload {

Result<Credentials> find_credentials(const state::Environment& environment);

// --region, else AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.
std::string find_region(const std::string& flag, const state::Environment& environment);

} // namespace uk::upload
