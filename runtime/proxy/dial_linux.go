package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dialFast dials ap with net.Dialer, except that the dialer's Control
// hook makes the connect(2) itself. On loopback the handshake is done
// when that call returns, so the dialer's own connect finds the socket
// connected (EISCONN) and hands the connection over at once: net.Dialer
// alone would park the goroutine until the poller reports what is
// already known, a wake-up on another thread in the path of every
// tunnel's first byte. The result is a *net.TCPConn registered with the
// poller once, where net.FileConn costs a duplicate descriptor, a second
// registration and a dozen system calls more. A connect still in
// progress is waited for by net.Dialer, until ctx ends or, when set, the
// deadline passes: the deadline's timer is armed only then, as an armed
// timer costs a wake-up of the thread waiting in the poller. Loopback
// destinations get no keep-alive options (four system calls, and a
// loopback peer cannot vanish without the kernel closing its end);
// others get net.Dialer's default. handled is false when ap is not a
// plain IP address, and net.Dialer should try instead.
func dialFast(ctx context.Context, deadline time.Time, ap netip.AddrPort) (c net.Conn, handled bool, err error) {
	a := ap.Addr()
	if !a.IsValid() || a.Zone() != "" {
		return nil, false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, true, dialErr(ap, ctxErr(err))
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timedOut atomic.Bool
	// net.Dialer may try two addresses at once (for "::", also 0.0.0.0),
	// each through Control: one timer is enough, and it is stopped below.
	var timerMu sync.Mutex
	var timer *time.Timer
	d := net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
		pending, err := connectEarly(network, address, rc)
		if err == nil && pending && !deadline.IsZero() {
			timerMu.Lock()
			if timer == nil {
				timer = time.AfterFunc(time.Until(deadline), func() {
					timedOut.Store(true)
					cancel()
				})
			}
			timerMu.Unlock()
		}
		return err
	}}
	if a.IsLoopback() {
		d.KeepAlive = -1
	}
	c, err = d.DialContext(dctx, "tcp", ap.String())
	timerMu.Lock()
	if timer != nil {
		timer.Stop()
	}
	timerMu.Unlock()
	if err != nil {
		if c != nil {
			c.Close()
		}
		if timedOut.Load() {
			return nil, true, dialErr(ap, os.ErrDeadlineExceeded)
		}
		if e := ctx.Err(); e != nil && !errors.Is(err, e) {
			return nil, true, dialErr(ap, ctxErr(e))
		}
		return nil, true, err
	}
	return c, true, nil
}

// connectEarly starts the connection on the socket net.Dialer made for
// address (network is "tcp4" or "tcp6", the socket's family) and reports
// whether it is still in progress, or the error it already failed with.
// The address is the one this socket is for, which is not always the one
// dialed: for the unspecified address "::" net.Dialer also tries 0.0.0.0
// on an IPv4 socket. One it cannot read, or an IPv6 address on an IPv4
// socket, is left to net.Dialer's own connect, as pending. The connect(2) calls are raw
// (see rawio_linux.go): on loopback the first one runs the whole
// handshake and wakes the destination, tens of microseconds that would
// otherwise cost the proxy its processor.
func connectEarly(network, address string, rc syscall.RawConn) (pending bool, err error) {
	ap, perr := netip.ParseAddrPort(address)
	if perr != nil || network == "tcp4" && !ap.Addr().Unmap().Is4() {
		return true, nil
	}
	sa, salen := rawSockaddr(network, ap)
	cerr := rc.Control(func(fd uintptr) {
		switch e := rawConnect(fd, sa, salen); e {
		case 0:
		case unix.EINPROGRESS, unix.EINTR:
			// Done already (loopback), or not: a second call tells.
			switch e := rawConnect(fd, sa, salen); e {
			case 0, unix.EISCONN:
			case unix.EALREADY, unix.EINPROGRESS, unix.EINTR:
				pending = true
			default:
				err = os.NewSyscallError("connect", e)
			}
		default:
			err = os.NewSyscallError("connect", e)
		}
	})
	if cerr != nil {
		return false, cerr
	}
	return pending, err
}

// rawSockaddr is ap as the kernel reads it, for a socket of network's
// family ("tcp4": AF_INET, otherwise AF_INET6, where an IPv4 address is
// v4-mapped).
func rawSockaddr(network string, ap netip.AddrPort) (unsafe.Pointer, uintptr) {
	port := [2]byte{byte(ap.Port() >> 8), byte(ap.Port())}
	if network == "tcp4" {
		sa := &unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ap.Addr().Unmap().As4()}
		sa.Port = *(*uint16)(unsafe.Pointer(&port))
		return unsafe.Pointer(sa), unix.SizeofSockaddrInet4
	}
	sa := &unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ap.Addr().As16()}
	sa.Port = *(*uint16)(unsafe.Pointer(&port))
	return unsafe.Pointer(sa), unix.SizeofSockaddrInet6
}

// rawConnect is connect(2) on a non-blocking socket, as a raw system
// call; 0 is success.
func rawConnect(fd uintptr, sa unsafe.Pointer, salen uintptr) syscall.Errno {
	_, _, e := unix.RawSyscall(unix.SYS_CONNECT, fd, uintptr(sa), salen)
	return e
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
