#!/usr/bin/env bash
# Builds the Debian package from a build folder, installs it with apt-get as a user
# would, and checks the installed uk: the Go server end to end, `man uk`, bash
# completion, and `uk doctor`. CI runs it after the tests (.ci/run); it needs root or
# sudo, and leaves uk installed.
#   packaging/check-package.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
step() { printf '\n== %s\n' "$*"; }

step "cpack: the .deb"
(cd "$build" && cpack -G DEB)
deb=$(ls "$build"/uk_*_amd64.deb)
dpkg-deb --info "$deb" | sed -n '/Depends/p'

step "apt-get install ./$deb"
DEBIAN_FRONTEND=noninteractive run apt-get install -y "./$deb"
test "$(command -v uk)" = /usr/bin/uk
uk --version

step "the Go e2e cases, with the installed uk"
UK_TEST_UK=/usr/bin/uk ctest --test-dir "$build" --output-on-failure \
    -R '^uk build, then uk run serves HTTP|^uk run PROGRAM builds first'

step "the installed uk serves the Go workload from a detached VM"
home=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'UK_HOME=$home uk instance rm -f pkg-smoke >/dev/null 2>&1; rm -rf "$home"' EXIT
UK_HOME=$home uk run -d --name pkg-smoke --mem 64M -p "$port:8080" "$build/tests/workloads/go-server"
curl -fsS --max-time 30 "http://127.0.0.1:$port/"
UK_HOME=$home uk instance stop pkg-smoke

step "man uk"
page=$(MANPAGER=cat MANWIDTH=100 man uk)
grep -q 'uk doctor \[OPTIONS\]' <<<"$page"
grep -q 'EXIT STATUS' <<<"$page"
echo "man uk: $(wc -l <<<"$page") lines"

step "bash completion, loaded the way bash-completion loads it on the first Tab"
bash -c '
    source /usr/share/bash-completion/bash_completion
    _completion_loader uk
    complete -p uk
    COMP_WORDS=(uk doc); COMP_CWORD=1; _uk
    test "${COMPREPLY[*]}" = doctor
'
test -f /usr/share/zsh/vendor-completions/_uk

step "uk doctor"
uk doctor || test $? -eq 69
uk doctor --json | python3 -c '
import json, sys
report = json.load(sys.stdin)
accelerator = next(f for f in report["findings"] if f["topic"] == "accelerator")
print("accelerator:", accelerator["details"]["accelerator"], "-", accelerator["summary"])
'
step "the installed package works"
