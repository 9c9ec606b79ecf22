# Cross-builds uk for arm64 Linux hosts on an x86-64 Debian machine:
#
#   cmake -S . -B build-arm64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake
#
# Debian's cross compiler (g++-aarch64-linux-gnu) with the arm64 -dev packages installed
# beside the host's through multiarch (scripts/install-deps.sh --arm64-host): their headers
# are the same files, their libraries sit in /usr/lib/aarch64-linux-gnu. The build runs
# what it builds (the man page, the tests) under qemu-user.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Only the arm64 libraries and pkg-config files; programs (pkg-config, musl-gcc, mksquashfs)
# are the build machine's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")

# qemu-user runs arm64 programs here; the arm64 loader and libraries are where multiarch
# put them, so it needs no -L.
find_program(UK_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${UK_QEMU_AARCH64}")
