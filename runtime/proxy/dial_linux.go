package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// dialFast connects a non-blocking TCP socket to ap. On loopback the
// handshake is done when connect(2) returns (it still says EINPROGRESS):
// the connection is then handed to the net package as it is, where
// net.Dialer would park the goroutine until the poller reports what is
// already known, a wake-up on another thread in the path of every
// tunnel's first byte. A connection still in progress is waited for
// through the poller, bounded by ctx and, when set, the deadline (whose
// context, a runtime timer, is made only then). handled is false when the
// socket could not be made, and net.Dialer should try instead.
func dialFast(ctx context.Context, deadline time.Time, ap netip.AddrPort) (c net.Conn, handled bool, err error) {
	a := ap.Addr()
	if !a.IsValid() || a.Zone() != "" {
		return nil, false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, true, dialErr(ap, ctxErr(err))
	}
	family, sa := unix.AF_INET6, unix.Sockaddr(&unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()})
	if a.Is4() {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, false, nil
	}
	done := false
	switch err := unix.Connect(fd, sa); err {
	case nil:
		done = true
	case unix.EINPROGRESS, unix.EINTR:
		if done, err = connected(fd); err != nil {
			unix.Close(fd)
			return nil, true, dialErr(ap, err)
		}
	default:
		unix.Close(fd)
		return nil, true, dialErr(ap, os.NewSyscallError("connect", err))
	}
	f := os.NewFile(uintptr(fd), "")
	defer f.Close()
	if !done {
		if !deadline.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
		}
		if err := waitConnected(ctx, f); err != nil {
			return nil, true, dialErr(ap, err)
		}
	}
	// FileConn works on a duplicate; the deferred Close drops the
	// original descriptor.
	c, err = net.FileConn(f)
	if err != nil {
		return nil, true, dialErr(ap, err)
	}
	return c, true, nil
}

// connected reports whether a connect in progress has completed, and its
// error if it failed.
func connected(fd int) (bool, error) {
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return true, os.NewSyscallError("getsockopt", err)
	}
	if soerr != 0 {
		return true, os.NewSyscallError("connect", unix.Errno(soerr))
	}
	if _, err := unix.Getpeername(fd); err != nil {
		return false, nil
	}
	return true, nil
}

// waitConnected waits for a connect in progress through the poller.
func waitConnected(ctx context.Context, f *os.File) error {
	if dl, ok := ctx.Deadline(); ok {
		if err := f.SetWriteDeadline(dl); err != nil {
			return err
		}
	}
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var cerr error
	err = rc.Write(func(fd uintptr) bool {
		var done bool
		done, cerr = connected(int(fd))
		return done
	})
	if err != nil {
		if e := ctx.Err(); e != nil {
			return ctxErr(e)
		}
		return err
	}
	return cerr
}

// ctxErr is a context's error as net.Dialer reports it: a deadline is a
// timeout.
func ctxErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return os.ErrDeadlineExceeded
	}
	return err
}

func dialErr(ap netip.AddrPort, err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: err}
}
