package proxy

import (
	"errors"
	"io"
	"net"
	"sync"
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
// Between *net.TCPConn and *net.UnixConn (stream) on Linux the copies
// use splice(2) (spliceConns), so payload never passes through user
// space; other connections are copied with io.Copy. Callers that read
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
	errc := make(chan error, 1)
	go func() {
		if started != nil {
			started()
		}
		var e error
		aToB, e = pipe(b, a, closeBoth)
		errc <- e
	}()
	bToA, err = pipe(a, b, closeBoth)
	if e := <-errc; err == nil {
		err = e
	}
	closeBoth()
	return aToB, bToA, err
}

// pipe copies src to dst and half-closes dst at EOF.
func pipe(dst, src net.Conn, closeBoth func()) (int64, error) {
	n, handled, err := spliceConns(dst, src)
	if !handled {
		n, err = io.Copy(dst, src)
	}
	if err != nil {
		closeBoth()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		return n, err
	}
	if cw, ok := dst.(closeWriter); ok {
		cw.CloseWrite()
	}
	return n, nil
}
