// Package proxy is permc's domain-filtering proxy: the only way out of a
// sandbox whose profile has a network.domains table.
//
// # What
//
// A Server serves HTTP proxy clients (absolute-form requests and CONNECT)
// and SOCKS5 clients (no authentication; CONNECT with a domain, an IPv4 or
// an IPv6 address; UDP ASSOCIATE when enable_socks5_udp) on listeners it
// is given: TCP loopback listeners for `permc proxy` (see Listen), Unix
// sockets in a private directory under `permc run`, where an in-sandbox
// relay carries connections to them with Splice.
//
// Every destination of every protocol goes through one function,
// Policy.Decide:
//
//  1. the host is canonicalised with host.Canonical, so case, a trailing
//     dot, brackets, a port, percent-encoding, IDNA, every numeric IPv4
//     spelling (2130706433, 0x7f.1, 0177.0.0.1, 127.1) and IPv4-mapped or
//     -compatible IPv6 all reach the same decision;
//  2. the rules decide with host's matcher: deny wins, no allow refuses;
//  3. unless allow_local_binding, the local/private guard: an IP literal in
//     a guarded range (host.Guarded) passes only when an exact allow rule
//     names it; localhost (and names under .localhost) likewise, and it is
//     never looked up: it means 127.0.0.1 and ::1; any other name is
//     looked up once through the Resolver, and one guarded address among
//     the answers refuses it, as does a failed lookup;
//  4. a deny rule written for an address also refuses a name that resolves
//     to it (with or without the guard).
//
// An allowed Decision carries the checked addresses, and the proxy dials
// exactly those, through the Dialer: there is no second lookup for the
// answer to change in.
//
// Refusals are HTTP 403 responses with an X-Permc-Decision header (the
// Reason: denied, not-allowlisted, local-guard, lookup-failed, bad-host)
// and a body that names the deciding rule and the file and line it was
// written at; SOCKS5 refusals are reply 0x02, "connection not allowed by
// ruleset" (0x04 when the lookup failed). Each decision is logged as one
// record through the injected slog.Logger, never to the command's output.
//
// # Example
//
//	srv, err := proxy.New(network, proxy.Options{Getenv: os.Getenv, Logger: logger})
//	if err != nil { ... }
//	go srv.ServeHTTPProxy(httpListener)
//	go srv.ServeSOCKS5(socksListener)
//	defer srv.Close()
//
// # Guarantees
//
//   - The request target names the destination. In a plain HTTP request
//     the Host header, when sent, must name the same host and port after
//     canonicalisation, or the request is refused with 400; the request is
//     forwarded with a Host header of the checked canonical target. An
//     origin-form request ("GET /") is refused with 400: a Host header is
//     never taken as a destination. Every request of a kept-alive
//     connection is decided on its own.
//   - A CONNECT whose Host header names another host or port is refused
//     with 400.
//   - Request framing is never guessed: Content-Length with
//     Transfer-Encoding, conflicting lengths, obsolete line folding, white
//     space before a colon and control characters are 400; codings other
//     than chunked are 501. Bodies are decoded and framed anew, so no
//     framing of the client's reaches the origin.
//   - Heads larger than Options.MaxHeaderBytes get 431. A head must arrive
//     within HeaderTimeout of its first byte, the next request within
//     IdleTimeout, and each read of a body within IdleTimeout; a slow
//     client is cut off and its goroutines end.
//   - With allow_upstream_proxy and an upstream in the environment
//     (Options.Getenv: HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, and
//     lowercase), the proxy decides first, then asks the upstream for a
//     tunnel to the checked IP literal (HTTP CONNECT, or SOCKS5 with an
//     address), so the upstream cannot resolve the name to something
//     else. Only the upstream's own address is exempt from the guard.
//   - SOCKS5 UDP: the client's datagrams are accepted only from the
//     control connection's peer address (and the first port seen);
//     fragments are dropped; each destination is decided by Decide and
//     remembered for the association's life; the association ends with
//     its control connection.
//   - The proxy never connects to its own TCP listeners.
//   - Close ends every listener, connection, lookup and dial, and waits
//     for every goroutine.
//
// # Cost
//
// On Linux each direction of a tunnel is copied with raw system calls
// that neither block nor wake the runtime's monitor thread, waiting on
// the poller: between two TCP connections by read and write through a
// buffer taken only while bytes are in flight (64 KiB, growing to 4 MiB
// while reads fill it), which the receiving end handles more cheaply
// than spliced segments; when a Unix socket is one end, by splice(2)
// through a 1 MiB pipe, so the bytes never pass through user space. A
// Unix socket that carries a tunnel asks for a 4 MiB send buffer, so the
// relay's hop does not stall every 208 KiB. Before a tunnel's first byte
// the proxy does only what the decision needs: the listeners of Listen
// hand a connection over once its first bytes are in (TCP_DEFER_ACCEPT),
// no lookup and no timer for an IP literal, no keep-alive options on
// loopback clients, a dial that does not wait on the poller when
// connect(2) completes at once (loopback) and registers the connection
// with the poller once, and the log record written beside the first
// bytes rather than before them; the goroutine that accepts a connection
// serves it, on a stack grown once rather than copied as it deepens. The
// request head, the connect(2), the 200 and the half-closes are raw
// system calls too, so none of them hands the P to another thread when
// it lasts. `permc proxy` runs on one P unless GOMAXPROCS is set (see
// cmd/permc).
//
// # Limitations
//
//   - HTTP/1.0 and HTTP/1.1 only; HTTPS is proxied through CONNECT (an
//     absolute "https://" target is 501). Upgrade (WebSocket over plain
//     HTTP) is not forwarded: clients that proxy WebSockets use CONNECT.
//   - Plain HTTP: each request opens its own connection to the origin
//     (Connection: close), and request trailers are dropped.
//   - No proxy authentication: the listeners are loopback or Unix sockets
//     only the sandbox reaches. Under `permc proxy` any local user can
//     connect, and one client can hold every connection slot
//     (Options.MaxConns) with tunnels it keeps open, since an open tunnel
//     has no idle timeout (see below).
//   - SOCKS5 BIND is not supported. UDP ASSOCIATE needs a TCP listener:
//     on a Unix-socket listener it is refused (reply 0x07). UDP never goes
//     through an upstream proxy, and one association opens at most 64
//     outbound sockets (1,024 for all associations together) and remembers
//     at most 256 decisions.
//   - A name is dialed at its checked addresses in the resolver's order,
//     one after another; there is no Happy Eyeballs racing.
//   - Tunnels have no idle timeout while both directions are open: a
//     long-lived connection (a WebSocket, a stream) stays open until a
//     side closes or Close is called. A plain-HTTP origin gets
//     Options.IdleTimeout for each read of its response, the head
//     included, so an upload that outlasts it to an origin that says
//     nothing until the body ends gets a 504. Once one
//     direction of a tunnel has ended, the other may be silent for at most
//     two minutes at a time, so a client that left cannot hold a tunnel
//     open for as long as an origin does.
//   - A reset on one side of a TCP tunnel is passed on as a reset; one
//     that reaches a plain-HTTP response body framed by the connection's
//     end, or a tunnel whose client side is a Unix socket (the relay
//     under permc run), arrives as a clean close, so a truncated stream
//     there looks complete unless the protocol inside (TLS, a length)
//     says otherwise.
//   - Upstream proxies: http, socks5 and socks5h URLs; https:// upstreams
//     are refused when the Server is built. NO_PROXY is read as Go's
//     golang.org/x/net/http/httpproxy reads it, and loopback destinations
//     always go direct.
package proxy
