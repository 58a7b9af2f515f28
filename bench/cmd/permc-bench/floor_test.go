//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestFloorRelays checks both minimal relays of the connection-setup
// table: a CONNECT to a loopback origin gets the 200 and the origin's
// byte; a CONNECT naming any other host is refused without a connection
// being made.
func TestFloorRelays(t *testing.T) {
	origin, err := serve(func(c net.Conn) { c.Write([]byte{'!'}) })
	if err != nil {
		t.Fatal(err)
	}
	defer origin.Close()
	target := origin.Addr().String()

	t.Run("go", func(t *testing.T) {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s, err := floorListen(port)
		if err != nil {
			t.Fatal(err)
		}
		// Shut down, not closed: an acceptor back from a connection
		// then finds EINVAL, never a reused descriptor number.
		defer unix.Shutdown(s, unix.SHUT_RDWR)
		floorAccept(s)
		checkFloor(t, fmt.Sprintf("127.0.0.1:%d", port), target)
	})
	t.Run("c", func(t *testing.T) {
		cc, err := exec.LookPath("cc")
		if err != nil {
			t.Fatal("no C compiler: install gcc")
		}
		bin := filepath.Join(t.TempDir(), "relay")
		if out, err := exec.Command(cc, "-O2", "-Wall", "-Werror", "-o", bin, "../../floor/relay.c").CombinedOutput(); err != nil {
			t.Fatalf("cc: %v\n%s", err, out)
		}
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		cmd := exec.Command(bin, fmt.Sprint(port))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		defer cmd.Process.Kill()
		exited := make(chan struct{})
		if err := waitListening(addr, exited); err != nil {
			t.Fatal(err)
		}
		checkFloor(t, addr, target)
	})
}

func checkFloor(t *testing.T, relay, target string) {
	t.Helper()
	for i := range 3 { // more than one connection, in turn
		c, rest, err := dial(relay, target)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if len(rest) == 0 {
			one := make([]byte, 1)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(c, one); err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			rest = one
		}
		c.Close()
		if string(rest) != "!" {
			t.Fatalf("connection %d: got %q, want the origin's byte", i, rest)
		}
	}
	// Another host, a name, a malformed line: refused, never dialed.
	port := strings.Split(target, ":")[1]
	for _, line := range []string{"CONNECT 192.0.2.1:80", "CONNECT localhost:" + port, "CONNECT 127.0.0.1:" + port + "x", "GET / "} {
		c, err := net.Dial("tcp", relay)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "%s HTTP/1.1\r\n\r\n", line)
		status, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || !strings.Contains(status, " 403 ") {
			t.Errorf("%q: got %q, %v; want a 403", line, status, err)
		}
	}
}
