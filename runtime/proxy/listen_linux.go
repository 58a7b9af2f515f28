package proxy

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// deferAccept asks the kernel to hand over a client connection only once
// its first bytes (a request head, a SOCKS5 greeting) have arrived: the
// proxy then wakes once per connection, accepts and reads at once,
// instead of waking for the handshake and, as often as not, parking
// again until the client writes. A client that sends nothing is handed
// over after a second or so all the same, and closed as before when no
// request comes in time. A failure leaves the listener as it was.
func deferAccept(_, _ string, rc syscall.RawConn) error {
	rc.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 1)
	})
	return nil
}
