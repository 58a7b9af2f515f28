package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// TestConnRawIO: connRead, connWrite and closeWrite, which make raw system
// calls on TCP and Unix stream connections, behave as the connection's
// own Read, Write and CloseWrite: all of a large write arrives, the end
// is io.EOF, deadlines give timeouts, a closed connection net.ErrClosed,
// and a half-close ends one direction only.
func TestConnRawIO(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			a, b := pair(t, network)
			if _, ok := rawAccess(a); !ok {
				t.Fatalf("no raw access to a %T", a)
			}
			// More than the socket buffers hold: the write must wait for
			// room, and still write everything.
			want := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
			werr := make(chan error, 1)
			go func() {
				n, err := connWrite(a, want)
				if err == nil && n != len(want) {
					err = io.ErrShortWrite
				}
				closeWrite(a)
				werr <- err
			}()
			var got bytes.Buffer
			buf := make([]byte, 64<<10)
			for {
				n, err := connRead(b, buf)
				got.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if n == 0 {
					t.Fatal("read returned 0 bytes and no error")
				}
			}
			if err := <-werr; err != nil {
				t.Fatalf("write: %v", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("read %d bytes, not the %d written", got.Len(), len(want))
			}

			// The half-close ended a→b only: b→a still works.
			if _, err := connWrite(b, []byte("back")); err != nil {
				t.Fatal(err)
			}
			back := make([]byte, 4)
			if _, err := io.ReadFull(readerFunc(func(p []byte) (int, error) { return connRead(a, p) }), back); err != nil ||
				string(back) != "back" {
				t.Fatalf("read %q, %v after the other direction's half-close", back, err)
			}

			// Nothing to read: the read deadline ends the wait.
			a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if _, err := connRead(a, buf); !errors.Is(err, os.ErrDeadlineExceeded) || !isTimeout(err) {
				t.Errorf("read past the deadline: %v, want a timeout", err)
			}
			a.SetReadDeadline(time.Time{})

			// No room to write (b reads nothing): the write deadline ends it.
			b.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			if _, err := connWrite(b, want); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("write past the deadline: %v, want a timeout", err)
			}

			a.Close()
			if _, err := connRead(a, buf); !errors.Is(err, net.ErrClosed) {
				t.Errorf("read of a closed connection: %v, want net.ErrClosed", err)
			}
			if _, err := connWrite(a, []byte("x")); !errors.Is(err, net.ErrClosed) {
				t.Errorf("write to a closed connection: %v, want net.ErrClosed", err)
			}
		})
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestDialFastIPv6: the raw connect addresses an IPv6 socket as the kernel
// reads it (family, port in network order, address).
func TestDialFastIPv6(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Write([]byte("v6"))
			c.Close()
		}
	}()
	ap := l.Addr().(*net.TCPAddr).AddrPort()
	c, err := (&directDialer{}).dial(context.Background(), time.Now().Add(5*time.Second), ap)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.RemoteAddr().(*net.TCPAddr).AddrPort(); got != ap {
		t.Errorf("remote address %v, want %v", got, ap)
	}
	if b, err := io.ReadAll(c); err != nil || string(b) != "v6" {
		t.Errorf("read %q, %v", b, err)
	}
	if _, err := (&directDialer{}).dial(context.Background(), time.Time{}, netip.AddrPortFrom(netip.IPv6Loopback(), 1)); err == nil {
		t.Error("dialed [::1]:1, where nothing listens")
	}
}
