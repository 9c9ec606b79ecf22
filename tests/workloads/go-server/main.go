// The Go workload of uk's tests and benchmarks: a small HTTP server with the two
// endpoints of the seed study. GET /io answers a short fixed text; GET /compute hashes
// 100 times (SHA-256 of the previous digest) and answers the hex digest. GET / says hello.
// It listens on $PORT (default 8080) and prints a line when it is told to stop.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func compute() string {
	digest := sha256.Sum256([]byte("uk"))
	for i := 1; i < 100; i++ {
		digest = sha256.Sum256(digest[:])
	}
	return hex.EncodeToString(digest[:])
}

func main() {
	// -greeting and the /cwd and /uid answers let tests see the arguments, working
	// folder and user an image's config gave the program.
	greeting := "hello from uk"
	for i := 1; i+1 < len(os.Args); i++ {
		if os.Args[i] == "-greeting" {
			greeting = os.Args[i+1]
		}
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s\n", greeting)
	})
	mux.HandleFunc("/cwd", func(w http.ResponseWriter, r *http.Request) {
		wd, _ := os.Getwd()
		fmt.Fprintf(w, "%s\n", wd)
	})
	mux.HandleFunc("/uid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d:%d\n", os.Getuid(), os.Getgid())
	})
	mux.HandleFunc("/io", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ok\n")
	})
	mux.HandleFunc("/compute", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s\n", compute())
	})
	server := &http.Server{Addr: ":" + port, Handler: mux}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := <-stop
		fmt.Printf("go-server: got %v, shutting down\n", sig)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		server.Shutdown(ctx)
	}()

	fmt.Printf("go-server: listening on :%s\n", port)
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "go-server: %v\n", err)
		os.Exit(1)
	}
}
