package proxy

import (
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The system calls in the path of a tunnel's first bytes (reading the
// request, the 200, the shutdown that ends a direction) are raw, as the
// copies' are (see spliceConns): non-blocking calls the runtime is not
// told of, with waiting left to the poller. A call the runtime is told
// of wakes its monitor thread when the process was idle, which the proxy
// is between one connection's events and the next; and one that lasts a
// monitor tick (a loopback write that wakes the reader, a shutdown that
// runs the peer's side of the handshake, easily 20-40 us on a busy
// machine) has its processor taken and handed to another thread, so the
// goroutine goes on elsewhere after a wake-up, with cold caches. Under
// one P that was two to three threads and as many wake-ups per
// connection where one thread suffices.

// connRead reads c once as c.Read does (waiting for bytes until the read
// deadline; io.EOF at the end), with a raw read(2) when c is TCP or a
// Unix stream.
func connRead(c net.Conn, p []byte) (int, error) {
	rc, ok := rawAccess(c)
	if !ok || len(p) == 0 {
		return c.Read(p)
	}
	var n int
	var errno syscall.Errno
	err := rc.Read(func(fd uintptr) bool {
		n, errno = rawIO(unix.SYS_READ, int(fd), p)
		return errno != unix.EAGAIN
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, opError(c, "read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// connWrite writes all of p to c as c.Write does (waiting for room until
// the write deadline), with raw write(2) calls when c is TCP or a Unix
// stream.
func connWrite(c net.Conn, p []byte) (int, error) {
	rc, ok := rawAccess(c)
	if !ok {
		return c.Write(p)
	}
	off, errno, err := rawWriteAll(rc, p)
	if err == nil && errno != 0 {
		err = opError(c, "write", errno)
	}
	return off, err
}

// closeWrite half-closes c where it can (TCP, Unix streams): a raw
// shutdown(2) for TCP and Unix streams, CloseWrite for any other
// connection that has one.
func closeWrite(c net.Conn) {
	rc, ok := rawAccess(c)
	if !ok {
		if cw, ok := c.(closeWriter); ok {
			cw.CloseWrite()
		}
		return
	}
	rc.Control(func(fd uintptr) {
		unix.RawSyscall(unix.SYS_SHUTDOWN, fd, unix.SHUT_WR, 0)
	})
}

// rawWriteAll writes all of p with raw write(2) calls, waiting in the
// poller while the socket is full; errno is a write's own failure, err
// the poller's (a deadline, a closed connection). n counts what was
// written either way.
func rawWriteAll(rc syscall.RawConn, p []byte) (n int, errno syscall.Errno, err error) {
	err = rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, e := rawIO(unix.SYS_WRITE, int(fd), p[n:])
			if e == unix.EAGAIN {
				return false
			}
			if e != 0 {
				errno = e
				return true
			}
			n += m
		}
		return true
	})
	return n, errno, err
}

// opError is a raw call's failure as c's own methods report it.
func opError(c net.Conn, op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(),
		Err: os.NewSyscallError(op, errno)}
}
