package proxy

import (
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// pipeSize is the pipe a tunnel direction moves its bytes through: up to
// this much is taken from the source in one splice(2) and handed on
// before the source is read again (the size Go's own splice uses). Where
// the kernel refuses it (fs.pipe-max-size, or the user's pipe quota), the
// pipe keeps its default size, and the copy still works.
const pipeSize = 1 << 20

// spliceConns copies src to dst with splice(2) through a pipe, until EOF
// or an error, calling progress after each chunk, when both are TCP or Unix stream connections; handled is
// false, with nothing copied, when they are not (or splice refuses them),
// and the caller copies some other way.
//
// It is net's own splice with one difference that matters on a busy
// machine: the splice calls are raw system calls, made with
// SPLICE_F_NONBLOCK on non-blocking descriptors, so they never block, and
// the runtime is not told of them. Telling it (entersyscall) wakes the
// runtime's monitor thread whenever the process was idle, and a tunnel
// that waits on its peers goes idle thousands of times a second: a
// context switch each time, and a thread competing for the processor
// with the tunnel's own ends. Waiting is still done by the poller, through
// syscall.RawConn, so Close and the scheduler work as for any read.
func spliceConns(dst, src net.Conn, progress func()) (written int64, handled bool, err error) {
	rs, ok1 := rawAccess(src)
	ws, ok2 := rawAccess(dst)
	if !ok1 || !ok2 {
		return 0, false, nil
	}
	p := getPipe()
	if p == nil {
		return 0, false, nil
	}
	defer func() { putPipe(p) }()
	for {
		// Drain what the source has into the pipe, waiting for it if
		// there is nothing yet.
		var n int
		var errno syscall.Errno
		rerr := rs.Read(func(fd uintptr) bool {
			n, errno = rawSplice(int(fd), p.w, p.size)
			return errno != unix.EAGAIN
		})
		if rerr != nil {
			return written, true, rerr
		}
		if errno == unix.EINVAL && written == 0 {
			return 0, false, nil // not a descriptor splice reads
		}
		if errno != 0 {
			return written, true, os.NewSyscallError("splice", errno)
		}
		if n == 0 {
			return written, true, nil // EOF
		}
		p.data = n
		// Pump it all to the destination, waiting for room as needed.
		werr := ws.Write(func(fd uintptr) bool {
			for p.data > 0 {
				m, e := rawSplice(p.r, int(fd), p.data)
				if e == unix.EAGAIN {
					return false
				}
				if e != 0 {
					errno = e
					return true
				}
				p.data -= m
				written += int64(m)
			}
			return true
		})
		if werr != nil {
			return written, true, werr
		}
		if errno != 0 {
			return written, true, os.NewSyscallError("splice", errno)
		}
		progress()
	}
}

// rawAccess returns a connection's raw access when it is TCP or a Unix
// stream socket: what splice(2) can read and write, and what the proxy
// reads and writes with raw system calls (rawio_linux.go).
func rawAccess(c net.Conn) (syscall.RawConn, bool) {
	var sc syscall.Conn
	switch c := c.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		if a := c.LocalAddr(); a == nil || a.Network() != "unix" {
			return nil, false
		}
		sc = c
	default:
		return nil, false
	}
	rc, err := sc.SyscallConn()
	return rc, err == nil
}

// rawSplice moves up to n bytes from in to out without blocking and
// without telling the runtime (see spliceConns). EINTR is retried.
func rawSplice(in, out, n int) (int, syscall.Errno) {
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n),
			unix.SPLICE_F_NONBLOCK|unix.SPLICE_F_MOVE)
		if e != unix.EINTR {
			return int(r), e
		}
	}
}

// splicePipe is a pipe kept for reuse; data is what it still holds.
type splicePipe struct {
	r, w, size, data int
}

// maxIdlePipes bounds the pipes kept for reuse: after a burst of tunnels
// the rest are closed at once, not held until a collection (each is two
// descriptors).
const maxIdlePipes = 64

var idlePipes = make(chan *splicePipe, maxIdlePipes)

func newPipe() *splicePipe {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil
	}
	p := &splicePipe{r: fds[0], w: fds[1]}
	size, err := unix.FcntlInt(uintptr(p.r), unix.F_SETPIPE_SZ, pipeSize)
	if err != nil {
		size, err = unix.FcntlInt(uintptr(p.r), unix.F_GETPIPE_SZ, 0)
	}
	if err != nil || size <= 0 {
		size = 64 << 10
	}
	p.size = size
	return p
}

func getPipe() *splicePipe {
	select {
	case p := <-idlePipes:
		return p
	default:
		return newPipe()
	}
}

// putPipe keeps an empty pipe for reuse, up to maxIdlePipes; one that
// still holds bytes (the copy failed half-way), or one too many, is
// closed.
func putPipe(p *splicePipe) {
	if p.data == 0 {
		select {
		case idlePipes <- p:
			return
		default:
		}
	}
	unix.Close(p.r)
	unix.Close(p.w)
}
