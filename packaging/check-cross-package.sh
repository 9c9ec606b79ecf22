#!/usr/bin/env bash
# Builds the Debian package of a cross-built uk (cmake/toolchains) and checks it without
# installing it on this machine of another architecture: its architecture and
# dependencies, that apt could install it on Debian of its own (a simulation through
# this machine's multiarch lists), that its uk is an ELF of that architecture which runs
# under qemu-user, and its man page and completions.
#   packaging/check-cross-package.sh BUILD_DIR ARCH     (e.g. build-arm64 arm64)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
arch=$2
step() { printf '\n== %s\n' "$*"; }

step "cpack: the $arch .deb"
(cd "$build" && cpack -G DEB)
deb=$(realpath "$(ls "$build"/uk_*_"$arch".deb)")
dpkg-deb --info "$deb" | sed -n '/Architecture\|Depends\|Recommends/p'
test "$(dpkg-deb --field "$deb" Architecture)" = "$arch"

step "apt-get install --simulate $deb (its dependencies exist for $arch)"
DEBIAN_FRONTEND=noninteractive apt-get install --simulate -y "$deb" >"$build/apt-simulate.log" 2>&1 ||
    { cat "$build/apt-simulate.log"; exit 1; }
grep -c "^Inst .*\[$arch\]\|^Inst .*$arch)" "$build/apt-simulate.log" | sed 's/^/packages apt would install: /'

step "the packaged uk"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
file -b "$root/usr/bin/uk"
machine=$(readelf -h "$root/usr/bin/uk" | sed -n 's/ *Machine: *//p')
case "$arch" in arm64) test "$machine" = AArch64 ;; *) echo "no check for $arch" >&2; exit 1 ;; esac
qemu-aarch64-static "$root/usr/bin/uk" --version
test -f "$root/usr/share/man/man1/uk.1.gz"
zcat "$root/usr/share/man/man1/uk.1.gz" | grep -q 'EXIT STATUS'
test -f "$root/usr/share/bash-completion/completions/uk"
test -f "$root/usr/share/zsh/vendor-completions/_uk"
step "the $arch package is sound"
