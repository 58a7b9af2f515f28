package run

import (
	"log/slog"
	"os"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/runtime/proxy"
)

// loopbackProxy serves the policy's proxy on its proxy_url and socks_url,
// on loopback, beside a sandbox whose only way out is that port (the
// macOS and Windows launchers; Linux uses Unix sockets and a relay).
func (o *Options) loopbackProxy() (*proxy.Server, error) {
	n := driver.NetworkSummary(o.Policy)
	httpL, socksL, err := proxy.Listen(n)
	if err != nil {
		return nil, err
	}
	opts := proxy.Options{}
	if o.Verbose {
		opts.Logger = slog.New(slog.NewTextHandler(o.Stderr, nil))
	}
	if o.Policy.Net.AllowUpstreamProxy {
		opts.Getenv = os.Getenv
	}
	srv, err := proxy.New(n, opts)
	if err != nil {
		httpL.Close()
		if socksL != nil {
			socksL.Close()
		}
		return nil, err
	}
	go srv.ServeHTTPProxy(httpL)
	if socksL != nil {
		go srv.ServeSOCKS5(socksL)
	}
	return srv, nil
}
