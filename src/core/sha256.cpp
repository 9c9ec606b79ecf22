#include "core/sha256.hpp"

#include "core/files.hpp"

#include <array>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include <openssl/evp.h>

namespace uk {
namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext new_context()
{
    DigestContext context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
    return context;
}

std::string finish(EVP_MD_CTX* context)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(context, digest.data(), &length);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; i++) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xf];
    }
    return out;
}

} // namespace

std::string sha256_hex(std::span<const std::byte> bytes)
{
    auto context = new_context();
    EVP_DigestUpdate(context.get(), bytes.data(), bytes.size());
    return finish(context.get());
}

Result<std::string> sha256_file(const std::filesystem::path& path)
{
    auto fd = open_regular_file(path);
    if (!fd)
        return fail(fd.error());
    auto context = new_context();
    std::array<char, 1 << 16> buffer{};
    for (;;) {
        ssize_t n = ::read(fd->get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(ErrorKind::io, "cannot read {}: {}", path.string(), std::strerror(errno));
        if (n == 0)
            return finish(context.get());
        EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(n));
    }
}

} // namespace uk
