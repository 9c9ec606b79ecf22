# Every dependency comes from Debian 12's packages (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(Threads REQUIRED)
pkg_check_modules(LIBSQUASHFS REQUIRED IMPORTED_TARGET libsquashfs1)
pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(LIBLZMA REQUIRED IMPORTED_TARGET liblzma)

find_program(UK_MUSL_GCC musl-gcc)
if(NOT UK_MUSL_GCC)
    message(FATAL_ERROR "musl-gcc not found: uk-init is built with it (apt-get install musl-tools)")
endif()

# The arm64 uk-init: Debian's cross compiler with the arm64 musl (multiarch musl-dev:arm64),
# through musl's own specs file, as musl-gcc does for the host.
find_program(UK_AARCH64_GCC aarch64-linux-gnu-gcc)
set(UK_AARCH64_MUSL_SPECS "/usr/lib/aarch64-linux-musl/musl-gcc.specs" CACHE FILEPATH
    "musl-gcc.specs of the arm64 musl (musl-dev:arm64)")
if(NOT UK_AARCH64_GCC OR NOT EXISTS "${UK_AARCH64_MUSL_SPECS}")
    message(FATAL_ERROR "the arm64 uk-init needs aarch64-linux-gnu-gcc and the arm64 musl: dpkg --add-architecture "
                        "arm64 && apt-get update && apt-get install gcc-aarch64-linux-gnu musl-dev:arm64 "
                        "(scripts/install-deps.sh does this)")
endif()
