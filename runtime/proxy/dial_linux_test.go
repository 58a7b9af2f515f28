package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDialFast: the default dialer's connections work like net.Dialer's,
// and its errors read like net.Dialer's: refused, timed out, cancelled.
func TestDialFast(t *testing.T) {
	ap := sayHi(t)
	d := &directDialer{}
	c, err := d.DialContext(context.Background(), "tcp", ap.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*net.TCPConn); !ok {
		t.Errorf("dialed a %T, want *net.TCPConn (splice needs it)", c)
	}
	if got := c.RemoteAddr().(*net.TCPAddr).AddrPort(); got != ap {
		t.Errorf("remote address %v, want %v", got, ap)
	}
	if b, err := io.ReadAll(c); err != nil || string(b) != "hi" {
		t.Errorf("read %q, %v", b, err)
	}
	c.Close()

	// A port nobody listens on: refused, as an *net.OpError.
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := free.Addr().String()
	free.Close()
	_, err = d.DialContext(context.Background(), "tcp", closed)
	var oe *net.OpError
	if !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &oe) || oe.Op != "dial" {
		t.Errorf("dial %s: %v, want a dial error with ECONNREFUSED", closed, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.DialContext(ctx, "tcp", ap.String()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled dial: %v", err)
	}
}

// TestDialFastPending: a connection that does not complete at once (its
// SYN dropped by a listener whose accept queue is full) is waited for
// through the poller, and given up at the deadline as a timeout.
func TestDialFastPending(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	d := &directDialer{}
	// Fill the accept queue; the listener never accepts.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 8 {
		start := time.Now()
		c, err := d.dial(context.Background(), time.Now().Add(300*time.Millisecond), ap)
		if err != nil {
			if !isTimeout(err) {
				t.Fatalf("dial with a full accept queue: %v, want a timeout", err)
			}
			if e := time.Since(start); e < 250*time.Millisecond {
				t.Fatalf("gave up after %v, before the deadline", e)
			}
			return
		}
		held = append(held, c)
	}
	t.Fatal("the accept queue never filled: no connection stayed pending, so the wait was not tested")
}

// TestDialFastUnspecified: for the unspecified address "::" net.Dialer
// also tries 0.0.0.0 on an IPv4 socket; the early connect follows the
// socket's own address (it once read "::" as IPv4 and panicked, taking
// the proxy down).
func TestDialFastUnspecified(t *testing.T) {
	port := sayHi(t).Port()
	d := &directDialer{}
	for _, a := range []string{"::", "0.0.0.0", "::ffff:0.0.0.0"} {
		target := netip.AddrPortFrom(netip.MustParseAddr(a), port).String()
		c, err := d.DialContext(context.Background(), "tcp", target)
		if err != nil {
			t.Errorf("dial %s: %v", target, err)
			continue
		}
		if b, err := io.ReadAll(c); err != nil || string(b) != "hi" {
			t.Errorf("dial %s: read %q, %v", target, b, err)
		}
		c.Close()
	}
}

// sayHi serves "hi" to every connection on an IPv4 loopback port until
// the test ends, and returns its address.
func sayHi(t *testing.T) netip.AddrPort {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).AddrPort()
}
