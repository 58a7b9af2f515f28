package proxy

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// directDialer is the default Dialer: a net.Dialer, except that on Linux
// a TCP connection to an IP literal (all the proxy dials) is made with
// dialFast, which returns a connection that completed at once, as one to
// a loopback address does, without a round through the runtime's poller.
type directDialer struct{ nd net.Dialer }

func (d *directDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if network == "tcp" {
		if ap, err := netip.ParseAddrPort(address); err == nil {
			return d.dial(ctx, time.Time{}, ap)
		}
	}
	return d.nd.DialContext(ctx, network, address)
}

// dial connects to ap until ctx ends or, when set, the deadline passes.
func (d *directDialer) dial(ctx context.Context, deadline time.Time, ap netip.AddrPort) (net.Conn, error) {
	if c, handled, err := dialFast(ctx, deadline, ap); handled {
		return c, err
	}
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return d.nd.DialContext(ctx, "tcp", ap.String())
}
