#!/bin/bash
# Makes the OCI images the e2e tests build from, with umoci (as a user would without a
# container engine):
#   OUT/go:v1    one layer: the static Go server at /usr/local/bin/server; Entrypoint
#                server, Cmd -greeting from-cmd, Env PORT=9090, WorkingDir /app,
#                User app (1000:1000 in the image's /etc/passwd), ExposedPorts 9090/tcp
#   OUT/node:v1  two layers: the host's node, its libraries and server.js, then a layer
#                that replaces greeting.txt and deletes extra.txt (a whiteout)
# usage: make-images.sh OUT GO_SERVER NODE_SERVER_DIR
set -euo pipefail
out=$1 go_server=$2 node_dir=$3
mkdir -p "$out"
cd "$out"

umoci init --layout go
umoci new --image go:v1
umoci unpack --rootless --image go:v1 go-bundle
root=go-bundle/rootfs
mkdir -p "$root/usr/local/bin" "$root/app" "$root/etc"
cp "$go_server" "$root/usr/local/bin/server"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'app:x:1000:1000:app:/app:/bin/sh' >> "$root/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' > "$root/etc/group"
umoci repack --image go:v1 go-bundle
umoci config --image go:v1 --config.entrypoint server --config.cmd=-greeting --config.cmd=from-cmd \
    --config.env PORT=9090 --config.workingdir /app --config.user app --config.exposedports 9090/tcp
rm -rf go-bundle

umoci init --layout node
umoci new --image node:v1
umoci unpack --rootless --image node:v1 node-bundle
root=node-bundle/rootfs
node=$(command -v node)
mkdir -p "$root/usr/bin" "$root/app"
cp "$node" "$root/usr/bin/node"
for lib in $(ldd "$node" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
# Debian's Node.js loads some builtins from /usr/share/nodejs at start (NodeSource's carries
# them): an image of it has them, as a Debian node container has.
for builtin in cjs-module-lexer undici acorn acorn-walk; do
    if [ -d "/usr/share/nodejs/$builtin" ]; then
        mkdir -p "$root/usr/share/nodejs"
        cp -rL "/usr/share/nodejs/$builtin" "$root/usr/share/nodejs/"
    fi
done
cp "$node_dir/server.js" "$root/app/server.js"
echo 'from the lower layer' > "$root/app/greeting.txt"
echo 'deleted by the upper layer' > "$root/app/extra.txt"
umoci repack --image node:v1 node-bundle
rm -rf node-bundle
# Unpacked again, so that the next repack is a layer of its own with only the changes.
umoci unpack --rootless --image node:v1 node-bundle
echo 'from the upper layer' > "$root/app/greeting.txt"
rm "$root/app/extra.txt"
umoci repack --image node:v1 node-bundle
umoci config --image node:v1 --config.entrypoint /usr/bin/node --config.cmd=/app/server.js \
    --config.env PORT=8080 --config.env GREETING=from-image-env --config.workingdir /app --config.exposedports 8080/tcp
rm -rf node-bundle
