//go:build ignore

// gonet runs an HTTP server and client over loopback with Go's defaults
// (net.Listen asks for IPPROTO_MPTCP first) and prints the listener's
// protocol (6 TCP, 262 MPTCP) and what a raw MPTCP socket gives. The
// escape suite runs it under permc run.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("LISTEN-FAILED", err)
		os.Exit(1)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "GO-HTTP-SERVED") }))
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		fmt.Println("GET-FAILED", err)
		os.Exit(1)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	proto := 0
	if rc, err := ln.(*net.TCPListener).SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { proto, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, 38 /* SO_PROTOCOL */) })
	}
	raw := "MPTCP-SOCKET-CREATED"
	if fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 262); err != nil {
		raw = "mptcp: " + err.Error()
	} else {
		syscall.Close(fd)
	}
	fmt.Printf("%s listener-protocol=%d %s\n", body, proto, raw)
}
