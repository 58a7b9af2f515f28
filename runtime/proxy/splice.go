package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// closeWriter is a connection that can half-close: *net.TCPConn and
// *net.UnixConn are.
type closeWriter interface {
	CloseWrite() error
}

// Splice copies a to b and b to a until both directions end, then closes
// both. When one side reaches EOF, the other side's write half is closed
// (where the connection supports it), so request-then-close protocols
// still get their answer; an error in either direction closes both at
// once. It returns the bytes copied each way and the first error other
// than the closing of a or b.
//
// On Linux, between two *net.TCPConn the copies are raw reads and writes
// through a pooled buffer (copyTCP); between a *net.TCPConn or
// *net.UnixConn (stream) and a *net.UnixConn they use splice(2)
// (spliceConns), so payload never passes through user space; other
// connections are copied with io.Copy. Callers that read
// ahead (a bufio.Reader) must write what they buffered first, and hand
// Splice the connections themselves, unwrapped.
func Splice(a, b net.Conn) (aToB, bToA int64, err error) {
	return splice(a, b, nil)
}

// unixSendBuffer is the send buffer a tunnel asks for on a Unix socket.
// A Unix stream socket's sender may have only its send buffer's worth
// queued (net.core.wmem_default, 208 KiB on most systems), against the
// megabytes a loopback TCP connection grows to: with the default, a bulk
// transfer through the relay blocks and wakes both ends every few hundred
// kilobytes. The kernel caps the request at net.core.wmem_max.
const unixSendBuffer = 4 << 20

// TuneUnixConn sizes the send buffer of a Unix stream connection that
// carries a tunnel (see unixSendBuffer); other connections are left
// alone. The in-sandbox relay calls it on its side of the Unix socket,
// the proxy on its own.
func TuneUnixConn(c net.Conn) {
	if uc, ok := c.(*net.UnixConn); ok {
		uc.SetWriteBuffer(unixSendBuffer)
	}
}

// splice is Splice with a hook: started, when set, runs once both copies
// are under way, on the goroutine of the a-to-b copy before it starts, so
// that work which need not delay the first bytes (logging the decision)
// is done beside them rather than before them. The b-to-a copy (the
// download, when a is the client) runs on the caller's goroutine and
// starts at once.
func splice(a, b net.Conn, started func()) (aToB, bToA int64, err error) {
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			a.Close()
			b.Close()
		})
	}
	// Once one direction has ended, the other may stay silent only for
	// halfCloseIdle at a time: a client that closed cannot hold the
	// tunnel (and the proxy's descriptors) open for as long as an origin
	// keeps its side open.
	var half atomic.Bool
	idle := func(src net.Conn) func() {
		return func() {
			if half.Load() {
				src.SetReadDeadline(time.Now().Add(halfCloseIdle))
			}
		}
	}
	ended := func(other net.Conn) {
		half.Store(true)
		other.SetReadDeadline(time.Now().Add(halfCloseIdle))
	}
	errc := make(chan error, 1)
	go func() {
		growStack()
		if started != nil {
			started()
		}
		var e error
		aToB, e = pipe(b, a, closeBoth, idle(a))
		if e == nil {
			ended(b)
		}
		errc <- e
	}()
	bToA, err = pipe(a, b, closeBoth, idle(b))
	if err == nil {
		ended(a)
	}
	if e := <-errc; err == nil {
		err = e
	}
	closeBoth()
	return aToB, bToA, err
}

// halfCloseIdle is how long a tunnel one of whose directions has ended
// may go without a byte in the other before it is closed.
var halfCloseIdle = 2 * time.Minute

// pipe copies src to dst and half-closes dst at EOF; progress runs after
// each chunk copied. A read deadline that passes ends the copy quietly.
func pipe(dst, src net.Conn, closeBoth func(), progress func()) (int64, error) {
	n, handled, err := copyTCP(dst, src, progress)
	if !handled {
		n, handled, err = spliceConns(dst, src, progress)
	}
	if !handled {
		n, err = io.Copy(dst, progressReader{src, progress})
	}
	if err != nil {
		if errors.Is(err, syscall.ECONNRESET) {
			// A reset on one side is passed on as a reset, not a
			// clean close: a stream cut short must not look complete.
			resetOnClose(dst)
			resetOnClose(src)
		}
		closeBoth()
		if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
			err = nil
		}
		return n, err
	}
	closeWrite(dst)
	return n, nil
}

// progressReader calls progress after every read that returned bytes.
type progressReader struct {
	r        io.Reader
	progress func()
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.progress()
	}
	return n, err
}

// resetOnClose makes c's Close send a reset (SO_LINGER 0) when c is TCP.
func resetOnClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}
