// The Node.js workload of uk's tests and benchmarks, the twin of go-server: GET /io
// answers a short fixed text, GET /compute hashes 100 times (SHA-256 of the previous
// digest) and answers the hex digest, GET / says hello. GET /greeting answers with the
// file greeting.txt (packed with Files) and $GREETING (set with Env). It listens on
// $PORT (default 8080) and says so when it is told to stop.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const path = require("path");

function compute() {
    let digest = crypto.createHash("sha256").update("uk").digest();
    for (let i = 1; i < 100; i++)
        digest = crypto.createHash("sha256").update(digest).digest();
    return digest.toString("hex");
}

const server = http.createServer((request, response) => {
    if (request.url === "/io") {
        response.end("ok\n");
    } else if (request.url === "/compute") {
        response.end(compute() + "\n");
    } else if (request.url === "/greeting") {
        const file = fs.readFileSync(path.join(__dirname, "greeting.txt"), "utf8").trim();
        response.end(`${file} / ${process.env.GREETING || "(no GREETING)"}\n`);
    } else {
        response.end("hello from uk\n");
    }
});

const port = Number(process.env.PORT || 8080);
server.listen(port, () => console.log(`node-server: listening on :${port}`));
for (const signal of ["SIGTERM", "SIGINT"])
    process.on(signal, () => {
        console.log(`node-server: got ${signal}, shutting down`);
        server.close(() => process.exit(0));
    });
