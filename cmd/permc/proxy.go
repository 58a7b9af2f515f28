package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/proxy"
)

// runProxy serves the selected profile's network policy on its proxy_url
// and socks_url until interrupted, logging one line per decision to
// stderr.
func runProxy(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := newFlagSet("proxy", stderr)
	c.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "permc proxy: unexpected argument %q\n", fs.Arg(0))
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
	return serveProxy(srv, p.Name, httpL, socksL, stderr)
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
