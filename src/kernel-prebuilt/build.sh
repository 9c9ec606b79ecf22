#!/usr/bin/env bash
# Rebuilds uk's guest kernel from Debian's linux-source-6.1 package, reproducibly:
# the same package, compiler, patches/, uk.config and speed-critical.objects give the
# same kernel, byte for byte.
#
#   src/kernel-prebuilt/build.sh [--arch amd64|arm64] [--work DIR] [--jobs N] [--out DIR]
#
# amd64 (the default) writes bzImage from uk.config and patches/ into this folder; arm64
# cross-compiles vmlinuz.efi (an EFI zboot image: the Image, xz-compressed, inside an EFI
# application) from arm64/uk.config and arm64/patches/ into arm64/. Both also
# write kernel.config (the full resolved configuration) and kernel.json (the record:
# source package version, compiler, SHA-256, size, and the hashes of the fragment, the
# patches and speed-critical.objects). Needs: linux-source-6.1 build-essential flex bison
# bc libelf-dev libssl-dev xz-utils, and gcc-aarch64-linux-gnu for arm64
# (scripts/install-deps.sh --kernel installs them). About 15 minutes on 2 cores for
# amd64. Normal builds never run this: they use the committed kernels.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
arch=amd64
work=""
out=""
jobs="$(nproc)"
while [ $# -gt 0 ]; do
    case "$1" in
        --arch) arch="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

# What differs between the architectures: where the fragment, the patches and the result
# live, the kernel's make ARCH and cross compiler, and the image make builds.
case "$arch" in
    amd64)
        config_dir="$here"; kernel_arch=x86_64; cross=""; target=bzImage
        built="arch/x86/boot/bzImage"; default_work=uk-kernel-build ;;
    arm64)
        config_dir="$here/arm64"; kernel_arch=arm64; cross=aarch64-linux-gnu-; target=vmlinuz.efi
        built="arch/arm64/boot/vmlinuz.efi"; default_work=uk-kernel-build-arm64
        if ! command -v "${cross}gcc" >/dev/null; then
            echo "build.sh: ${cross}gcc is missing; install it with: apt-get install gcc-aarch64-linux-gnu" >&2
            exit 1
        fi ;;
    *) echo "build.sh: --arch must be amd64 or arm64, not '$arch'" >&2; exit 2 ;;
esac
work="${work:-${TMPDIR:-/var/tmp}/$default_work}"
out="${out:-$config_dir}"
fragment="$config_dir/uk.config"

package=linux-source-6.1
tarball="/usr/src/$package.tar.xz"
if ! version="$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null)" || [ ! -f "$tarball" ]; then
    echo "build.sh: $tarball is missing; install it with: apt-get install $package" >&2
    exit 1
fi

# Everything that could leak the machine or the moment into the image is pinned. The
# timestamp is the source package's own changelog date, so it only moves with the source.
changelog="/usr/share/doc/$package/changelog.Debian.gz"
export KBUILD_BUILD_TIMESTAMP="$(zcat "$changelog" | sed -n 's/^ -- .*>  //p' | head -n1)"
export KBUILD_BUILD_USER=uk KBUILD_BUILD_HOST=uk KBUILD_BUILD_VERSION=1
export LC_ALL=C TZ=UTC

rm -rf "$work"
mkdir -p "$work"
echo "build.sh: unpacking $package $version into $work"
tar -C "$work" -xf "$tarball"
src="$work/$package"

for patch in "$config_dir"/patches/*.patch; do
    [ -e "$patch" ] || continue
    echo "build.sh: applying $(basename "$patch")"
    patch -s -d "$src" -p1 < "$patch"
done

make_kernel() { make -C "$src" ARCH="$kernel_arch" CROSS_COMPILE="$cross" -j"$jobs" "$@"; }

make_kernel tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$fragment" >/dev/null
make_kernel olddefconfig >/dev/null

# Kconfig silently drops an option whose dependencies are missing: insist that every line
# of the fragment survived, so the committed kernel is what uk.config says.
missing=0
while IFS= read -r line; do
    case "$line" in
        "# CONFIG_"*" is not set")
            name="${line#\# }"; name="${name%% *}"
            if grep -q "^$name=" "$src/.config"; then
                echo "build.sh: $name is still enabled although uk.config turns it off" >&2
                missing=1
            fi ;;
        CONFIG_*)
            if ! grep -qxF "$line" "$src/.config"; then
                echo "build.sh: '$line' from uk.config did not survive olddefconfig" >&2
                missing=1
            fi ;;
    esac
done < "$fragment"
[ "$missing" -eq 0 ] || exit 1

# Built for size (-Os), except the objects listed in speed-critical.objects (the file
# says why). Kbuild takes per-object flags from the make command line, named after the
# object's path below the folder of the Makefile that builds it.
per_object_flags=()
while read -r object; do
    case "$object" in ""|"#"*) continue ;; esac
    case "$object" in
        lib/zstd/*) stem="${object#lib/zstd/}" ;;
        *) stem="$(basename "$object")" ;;
    esac
    per_object_flags+=("CFLAGS_$stem=-O2")
done < "$here/speed-critical.objects"

# On x86, string operations GCC expands inline become calls to memcpy and memset, never
# `rep movsb`/`rep movsl`: -Os emits those for copies of unknown size, and QEMU's TCG runs
# them one element at a time (a static guest program measured 40-60 ms per MiB for
# `rep movsb`, 2-3 ms for a plain loop). SquashFS's lz4 and page copies went that way:
# Node.js answered its first request about 0.6 s sooner with this (docs/performance.md).
# (arm64 has no such instructions.)
kcflags=()
[ "$arch" = amd64 ] && kcflags=(KCFLAGS=-mstringop-strategy=libcall)
echo "build.sh: building $target for $arch with $jobs jobs"
make_kernel "${kcflags[@]}" "${per_object_flags[@]}" "$target" >/dev/null

mkdir -p "$out"
cp "$src/$built" "$out/$target"
cp "$src/.config" "$out/kernel.config"

release="$(make -s -C "$src" ARCH="$kernel_arch" kernelrelease)"
compression="$(sed -n 's/^CONFIG_KERNEL_\([A-Z0-9]*\)=y$/\1/p' "$src/.config" | tr 'A-Z' 'a-z')"
compiler="$("${cross}gcc" --version | head -n1)"
hz="$(sed -n 's/^CONFIG_HZ=//p' "$src/.config")"
sha="$(sha256sum "$out/$target" | cut -d' ' -f1)"
size="$(stat -c %s "$out/$target")"
fragment_sha="$(sha256sum "$fragment" | cut -d' ' -f1)"
# One hash over the patches in the order they are applied.
# (arm64 has none: the hash of nothing; `|| true` keeps pipefail from ending the script.)
patches_sha="$( (cat "$config_dir"/patches/*.patch 2>/dev/null || true) | sha256sum | cut -d' ' -f1)"
objects_sha="$(sha256sum "$here/speed-critical.objects" | cut -d' ' -f1)"

cat > "$out/kernel.json" <<EOF
{
  "file": "$target",
  "arch": "$arch",
  "sha256": "$sha",
  "size": $size,
  "compression": "$compression",
  "kernel_release": "$release",
  "hz": $hz,
  "source_package": "$package",
  "source_version": "$version",
  "compiler": "$compiler",
  "build_timestamp": "$KBUILD_BUILD_TIMESTAMP",
  "config_fragment": "uk.config",
  "config_fragment_sha256": "$fragment_sha",
  "patches_sha256": "$patches_sha",
  "speed_critical_objects_sha256": "$objects_sha"
}
EOF
echo "build.sh: wrote $out/$target ($size bytes, sha256 $sha)"
