package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/proxy"
)

// runProxy serves the selected profile's network policy on its proxy_url
// and socks_url until interrupted, logging one line per decision to
// stderr.
func runProxy(args []string, stdout, stderr io.Writer) int {
	c := common{enforcing: true}
	fs := newFlagSet("proxy", stderr)
	c.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "permc proxy: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if !c.textOrJSON("proxy", stderr) || notApplicable(fs, "proxy", stderr, "target", "bind") {
		return exitUsage
	}
	res, diags := c.load()
	diags = diags.Sorted()
	c.printDiags(stderr, diags)
	if res == nil || diags.HasErrors() {
		return exitNo
	}
	p := res.SelectedPolicy()
	if p == nil {
		fmt.Fprintf(stderr, "permc proxy: no profile in effect\n")
		return exitNo
	}
	n := driver.NetworkSummary(p)
	if n.Mode != ir.NetProxied {
		fmt.Fprintf(stderr, "permc proxy: profile %q: network is %s; the proxy serves only a profile "+
			"with a network.domains table\n", p.Name, n.Mode)
		return exitNo
	}
	srv, err := proxy.New(n, proxy.Options{Getenv: os.Getenv, Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	if err != nil {
		fmt.Fprintln(stderr, errLine("proxy", err))
		return exitNo
	}
	httpL, socksL, err := proxy.Listen(n)
	if err != nil {
		fmt.Fprintln(stderr, errLine("proxy", err))
		return exitNo
	}
	proxyProcs(os.Getenv)
	return serveProxy(srv, p.Name, httpL, socksL, stderr)
}

// proxyProcs runs the proxy on one P (one thread running Go code at a
// time) unless GOMAXPROCS is set in the environment. The proxy's work is
// mostly the kernel's (TCP, and the system calls that move tunnel bytes),
// and its goroutines mostly wait on the poller. With a second P idle,
// every goroutine the poller or a go statement makes ready also wakes a
// second thread, which finds nothing to do and sleeps again: on 2 CPUs
// that was about twice the context switches per connection (10 against
// 5), a fifth more CPU time per connection and 35-65 us more connection
// setup at p50, for no gain in tunnel throughput, one stream or two at
// once. The cost: all tunnels' copies run on one thread, so together
// they move at most what one core can copy (GiB/s on loopback, more than
// a network link carries); GOMAXPROCS=N gives N back.
func proxyProcs(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}

// serveProxy runs the listeners until a signal or a listener failure.
func serveProxy(srv *proxy.Server, profile string, httpL, socksL net.Listener, stderr io.Writer) int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)

	errc := make(chan error, 2)
	go func() { errc <- srv.ServeHTTPProxy(httpL) }()
	socks := "off"
	if socksL != nil {
		socks = socksL.Addr().String()
		go func() { errc <- srv.ServeSOCKS5(socksL) }()
	}
	fmt.Fprintf(stderr, "permc proxy: profile %q: http on %s, socks5 on %s\n", profile, httpL.Addr(), socks)

	code := exitOK
	select {
	case <-sig:
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			fmt.Fprintln(stderr, errLine("proxy", err))
			code = exitNo
		}
	}
	srv.Close()
	return code
}
