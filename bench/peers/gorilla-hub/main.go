// gorilla-hub: the comparison peer for confab's benchmarks (bench/run.sh). Rooms at
// /ws/rooms/{room} (every message to every member, sender included), echo at /ws/echo.
// Prints "gorilla-hub ready http=HOST:PORT" on stdout once listening.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "HOST:PORT to listen on (port 0 = any)")
	flag.Parse()

	hub := newHub()
	go hub.run()

	mux := http.NewServeMux()
	mux.HandleFunc("/ws/rooms/", func(w http.ResponseWriter, r *http.Request) {
		room := strings.TrimPrefix(r.URL.Path, "/ws/rooms/")
		if room == "" || strings.Contains(room, "/") {
			http.NotFound(w, r)
			return
		}
		serveRoom(hub, room, w, r)
	})
	mux.HandleFunc("/ws/echo", serveEcho)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("gorilla-hub ready http=%s\n", ln.Addr())
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, mux))
}
