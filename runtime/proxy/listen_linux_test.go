package proxy

import (
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestListenDefersAccept: the listeners of `permc proxy` hand over a
// connection once its first bytes are in (TCP_DEFER_ACCEPT); a tunnel
// works as before, and a client that sends nothing is still accepted,
// and closed when no request comes in time.
func TestListenDefersAccept(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(free.Addr().(*net.TCPAddr).Port)
	free.Close()
	n := testNetwork(t, "127.0.0.1=allow")
	n.Proxy.HTTP = "http://127.0.0.1:" + port
	hl, _, err := Listen(n)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := hl.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT) })
	if gerr != nil || v <= 0 {
		t.Errorf("TCP_DEFER_ACCEPT on the listener: %d, %v", v, gerr)
	}

	s, err := New(n, Options{Resolver: newResolver(nil), HeaderTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go s.ServeHTTPProxy(hl)

	origin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer origin.Close()
	go func() {
		for {
			c, err := origin.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	c, err := tunnelTo(hl.Addr().String(), origin.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(c); err != nil || string(b) != "hi" {
		t.Errorf("through the tunnel: %q, %v", b, err)
	}
	c.Close()

	silent, err := net.Dial("tcp", hl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	start := time.Now()
	silent.SetReadDeadline(time.Now().Add(15 * time.Second))
	if b, err := io.ReadAll(silent); err != nil || len(b) > 0 {
		t.Errorf("a client that sends nothing: read %q, %v after %v; want the connection closed", b, err, time.Since(start))
	}
	t.Logf("a silent client was closed after %v", time.Since(start).Round(time.Millisecond))
}
