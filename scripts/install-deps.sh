#!/usr/bin/env bash
# Installs, from Debian 12's packages, what building uk, running its tests and booting
# its guests need. With --kernel, also what rebuilding the guest kernel needs
# (src/kernel-prebuilt/build.sh); normal builds use the committed kernel. With --cross-arm64,
# also what cross-building uk for arm64 machines needs (cmake/toolchains/aarch64-linux-gnu.cmake):
# the cross C++ compiler, the arm64 -dev packages beside this machine's, and qemu-user to
# run what it builds.
set -euo pipefail

packages=(
    # building uk; the arm64 uk-init with the cross compiler and arm64's musl
    build-essential cmake pkg-config musl-tools gcc-aarch64-linux-gnu musl-dev:arm64
    libcli11-dev nlohmann-json3-dev libfmt-dev
    libsquashfs-dev libarchive-dev libcurl4-openssl-dev libelf-dev liblzma-dev libzstd-dev
    catch2
    # running guests: x86-64 and arm64 ones
    qemu-system-x86 qemu-system-arm qemu-utils
    # firmware-bootable images (uk image create) and UEFI boot (uk run --boot firmware --uefi;
    # AAVMF for arm64 images)
    syslinux syslinux-common mtools ovmf qemu-efi-aarch64
    # tests: Debian's Go and Node.js for the workloads, independent readers of what uk writes
    golang-go nodejs squashfs-tools erofs-utils fdisk mtools dosfstools file curl iproute2
    # tests: support/fake-qemu, a stand-in for QEMU on hosts whose KVM fails
    python3
    # tests of OCI images: umoci makes them, skopeo copies them, a local registry serves them
    umoci skopeo docker-registry
    # tests of uk run --gdb and --strace: Debian's gdb on QEMU's stub, the strace uk packs
    gdb strace
    # tests of what a shell user gets: the man page, bash and zsh completion
    man-db bash-completion zsh
    # bench/: the load generator and the plots
    wrk gnuplot-nox
    # fuzz/run: libFuzzer needs a clang whose C++ knows std::expected (19)
    clang-19 libclang-rt-19-dev
)
# npm installs the local S3 server the upload tests use; Node.js packages that bundle it
# (NodeSource's) must not be replaced by Debian's.
command -v npm >/dev/null 2>&1 || packages+=(npm)
for option in "$@"; do
    case "$option" in
    --kernel) packages+=(linux-source-6.1 flex bison bc libssl-dev libelf-dev xz-utils cpio patch) ;;
    --cross-arm64)
        packages+=(g++-aarch64-linux-gnu qemu-user-static
                   libfmt-dev:arm64 libsquashfs-dev:arm64 libarchive-dev:arm64 libcurl4-openssl-dev:arm64
                   libelf-dev:arm64 liblzma-dev:arm64 libzstd-dev:arm64 libssl-dev:arm64 zlib1g-dev:arm64) ;;
    *) echo "install-deps.sh: unknown option $option (--kernel, --cross-arm64)" >&2; exit 2 ;;
    esac
done

run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

export DEBIAN_FRONTEND=noninteractive
# arm64 packages (musl-dev:arm64 above) come from Debian's multiarch archive.
dpkg --print-foreign-architectures | grep -qx arm64 || run dpkg --add-architecture arm64
run apt-get update
run apt-get install -y --no-install-recommends "${packages[@]}"
