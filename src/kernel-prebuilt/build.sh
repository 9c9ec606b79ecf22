#!/usr/bin/env bash
# Rebuilds uk's guest kernel from Debian's linux-source-6.1 package, reproducibly:
# the same package, compiler, patches/, uk.config and speed-critical.objects give the
# same bzImage, byte for byte.
#
#   src/kernel-prebuilt/build.sh [--work DIR] [--jobs N] [--out DIR]
#
# Writes bzImage, kernel.config (the full resolved configuration) and kernel.json (the
# record: source package version, compiler, SHA-256, size, and the hashes of uk.config,
# patches/ and speed-critical.objects) into --out,
# by default this folder. Needs: linux-source-6.1 build-essential flex bison bc libelf-dev
# libssl-dev xz-utils (scripts/install-deps.sh --kernel installs them). About 15 minutes on
# 2 cores. Normal builds never run this: they use the committed bzImage.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="${TMPDIR:-/var/tmp}/uk-kernel-build"
out="$here"
jobs="$(nproc)"
while [ $# -gt 0 ]; do
    case "$1" in
        --work) work="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

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

for patch in "$here"/patches/*.patch; do
    [ -e "$patch" ] || continue
    echo "build.sh: applying $(basename "$patch")"
    patch -s -d "$src" -p1 < "$patch"
done

make_kernel() { make -C "$src" ARCH=x86_64 -j"$jobs" "$@"; }

make_kernel tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$here/uk.config" >/dev/null
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
done < "$here/uk.config"
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

# String operations GCC expands inline become calls to memcpy and memset, never
# `rep movsb`/`rep movsl`: -Os emits those for copies of unknown size, and QEMU's TCG runs
# them one element at a time (a static guest program measured 40-60 ms per MiB for
# `rep movsb`, 2-3 ms for a plain loop). SquashFS's lz4 and page copies went that way:
# Node.js answered its first request about 0.6 s sooner with this (docs/performance.md).
echo "build.sh: building bzImage with $jobs jobs"
make_kernel KCFLAGS=-mstringop-strategy=libcall "${per_object_flags[@]}" bzImage >/dev/null

mkdir -p "$out"
cp "$src/arch/x86/boot/bzImage" "$out/bzImage"
cp "$src/.config" "$out/kernel.config"

release="$(make -s -C "$src" ARCH=x86_64 kernelrelease)"
compression="$(sed -n 's/^CONFIG_KERNEL_\([A-Z0-9]*\)=y$/\1/p' "$src/.config" | tr 'A-Z' 'a-z')"
compiler="$(gcc --version | head -n1)"
hz="$(sed -n 's/^CONFIG_HZ=//p' "$src/.config")"
sha="$(sha256sum "$out/bzImage" | cut -d' ' -f1)"
size="$(stat -c %s "$out/bzImage")"
fragment_sha="$(sha256sum "$here/uk.config" | cut -d' ' -f1)"
# One hash over the patches in the order they are applied.
patches_sha="$(cat "$here"/patches/*.patch 2>/dev/null | sha256sum | cut -d' ' -f1)"
objects_sha="$(sha256sum "$here/speed-critical.objects" | cut -d' ' -f1)"

cat > "$out/kernel.json" <<EOF
{
  "file": "bzImage",
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
echo "build.sh: wrote $out/bzImage ($size bytes, sha256 $sha)"
