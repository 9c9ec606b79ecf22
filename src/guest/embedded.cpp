#include "guest/embedded.hpp"

#include <nlohmann/json.hpp>

extern "C" {
extern const std::byte uk_embedded_kernel_begin[];
extern const std::byte uk_embedded_kernel_end[];
extern const std::byte uk_embedded_kernel_record_begin[];
extern const std::byte uk_embedded_kernel_record_end[];
extern const std::byte uk_embedded_init_begin[];
extern const std::byte uk_embedded_init_end[];
extern const std::byte uk_embedded_arm64_kernel_begin[];
extern const std::byte uk_embedded_arm64_kernel_end[];
extern const std::byte uk_embedded_arm64_kernel_record_begin[];
extern const std::byte uk_embedded_arm64_kernel_record_end[];
extern const std::byte uk_embedded_arm64_init_begin[];
extern const std::byte uk_embedded_arm64_init_end[];
}

namespace uk::guest {
namespace {

std::span<const std::byte> between(const std::byte* begin, const std::byte* end)
{
    return {begin, static_cast<std::size_t>(end - begin)};
}

} // namespace

std::span<const std::byte> kernel_image(Arch arch)
{
    return arch == Arch::arm64 ? between(uk_embedded_arm64_kernel_begin, uk_embedded_arm64_kernel_end)
                               : between(uk_embedded_kernel_begin, uk_embedded_kernel_end);
}

std::span<const std::byte> init_program(Arch arch)
{
    return arch == Arch::arm64 ? between(uk_embedded_arm64_init_begin, uk_embedded_arm64_init_end)
                               : between(uk_embedded_init_begin, uk_embedded_init_end);
}

KernelRecord kernel_record(Arch arch)
{
    auto bytes = arch == Arch::arm64
                     ? between(uk_embedded_arm64_kernel_record_begin, uk_embedded_arm64_kernel_record_end)
                     : between(uk_embedded_kernel_record_begin, uk_embedded_kernel_record_end);
    // The record is checked against the kernel by a unit test; parsing it cannot fail
    // in a correct build, so a broken one is a build defect worth an exception.
    auto json = nlohmann::json::parse(reinterpret_cast<const char*>(bytes.data()),
                                      reinterpret_cast<const char*>(bytes.data()) + bytes.size());
    return KernelRecord{
        .release = json.at("kernel_release").get<std::string>(),
        .source_package = json.at("source_package").get<std::string>(),
        .source_version = json.at("source_version").get<std::string>(),
        .compression = json.at("compression").get<std::string>(),
        .hz = json.at("hz").get<unsigned>(),
        .sha256 = json.at("sha256").get<std::string>(),
        .size = json.at("size").get<std::uint64_t>(),
    };
}

} // namespace uk::guest
