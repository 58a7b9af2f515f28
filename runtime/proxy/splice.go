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
// The copies are io.Copy between the connections themselves, unwrapped:
// between *net.TCPConn and *net.UnixConn on Linux they use splice(2), so
// payload never passes through user space. Callers that read ahead (a
// bufio.Reader) must write what they buffered first.
func Splice(a, b net.Conn) (aToB, bToA int64, err error) {
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			a.Close()
			b.Close()
		})
	}
	errc := make(chan error, 1)
	go func() {
		var e error
		bToA, e = pipe(a, b, closeBoth)
		errc <- e
	}()
	aToB, err = pipe(b, a, closeBoth)
	if e := <-errc; err == nil {
		err = e
	}
	closeBoth()
	return aToB, bToA, err
}

// pipe copies src to dst and half-closes dst at EOF.
func pipe(dst, src net.Conn, closeBoth func()) (int64, error) {
	n, err := io.Copy(dst, src)
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
