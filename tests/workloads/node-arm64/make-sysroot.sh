#!/usr/bin/env bash
# Makes the root an arm64 Node.js is built from with `uk build --sysroot`: Debian's
# nodejs:arm64 and the packages it loads, downloaded with apt-get download (no root, and
# nothing installed on this machine: installing libnode108:arm64 beside an amd64 Node.js
# lets apt replace that Node.js with the arm64 one) and unpacked with dpkg -x.
#
#   tests/workloads/node-arm64/make-sysroot.sh OUT_DIR
#
# Needs apt's arm64 package lists (scripts/install-deps.sh adds the architecture).
set -euo pipefail
out="$1"
packages=(nodejs:arm64 libnode108:arm64 libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 libuv1:arm64 libssl3:arm64
          libicu72:arm64 libbrotli1:arm64 libc-ares2:arm64 libnghttp2-14:arm64 zlib1g:arm64
          node-acorn node-cjs-module-lexer node-undici)
download="$(mktemp -d)"
trap 'rm -rf "$download"' EXIT
(cd "$download" && apt-get download -q "${packages[@]}" 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
count="$(ls "$download"/*.deb 2>/dev/null | wc -l)"
if [ "$count" -ne "${#packages[@]}" ]; then
    echo "make-sysroot.sh: downloaded $count of ${#packages[@]} packages; are arm64 package lists there (dpkg --add-architecture arm64 && apt-get update)?" >&2
    exit 1
fi
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
for deb in "$download"/*.deb; do
    dpkg -x "$deb" "$out.tmp"
done
rm -rf "$out"
mv "$out.tmp" "$out"
