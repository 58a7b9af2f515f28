package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// Dialer opens outbound connections; *net.Dialer satisfies it. The proxy
// passes it only IP literals it has checked ("192.0.2.1:443",
// "[2001:db8::1]:443"), or the address of the configured upstream proxy.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options are the proxy's collaborators and limits. The zero value is
// usable: real DNS and dialing, no upstream proxy, no logging.
type Options struct {
	// Resolver looks names up, once per destination, each name rooted
	// (with its final dot); nil is /etc/hosts, then net.DefaultResolver.
	Resolver Resolver
	// Dialer reaches destinations and the upstream proxy; nil dials as a
	// net.Dialer does (on Linux without a wait on the poller when the
	// connection completes at once, see dialFast).
	Dialer Dialer
	// Getenv reads HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (and
	// their lowercase twins) when the profile allows an upstream proxy.
	// nil reads nothing: pass os.Getenv to honour the environment.
	Getenv func(string) string
	// Logger receives one record per decision; nil logs nothing.
	Logger *slog.Logger

	// HeaderTimeout bounds reading a request head or a SOCKS5 handshake
	// (default 10s); IdleTimeout bounds the wait for the next request on a
	// kept-alive connection, each read of a request body and each read of
	// an origin's response, its head included (default 2m);
	// DialTimeout bounds the lookup and the dial of a destination
	// (default 10s).
	HeaderTimeout, IdleTimeout, DialTimeout time.Duration
	// MaxHeaderBytes bounds a request head (default 64 KiB); larger heads
	// get 431.
	MaxHeaderBytes int
	// MaxConns bounds the client connections served at once (default
	// 4096); further clients wait in the listen backlog.
	MaxConns int
}

func (o Options) withDefaults() Options {
	if o.Resolver == nil {
		o.Resolver = newSystemResolver("/etc/hosts", net.DefaultResolver)
	}
	if o.Dialer == nil {
		o.Dialer = &directDialer{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	setDefault(&o.HeaderTimeout, 10*time.Second)
	setDefault(&o.IdleTimeout, 2*time.Minute)
	setDefault(&o.DialTimeout, 10*time.Second)
	setDefault(&o.MaxHeaderBytes, 64<<10)
	setDefault(&o.MaxConns, 4096)
	return o
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Server is the domain-filtering proxy of one profile. It serves HTTP and
// SOCKS5 on listeners it is given, until Close.
type Server struct {
	policy *Policy
	udp    bool
	up     *upstream // nil: always direct
	opts   Options
	log    *slog.Logger

	ctx    context.Context // cancelled by Close: stops lookups and dials
	cancel context.CancelFunc
	sem    chan struct{} // one token per client connection
	// udpOuts counts the outbound sockets of every UDP association.
	udpOuts atomic.Int64
	// udpAssocs counts the UDP associations open.
	udpAssocs atomic.Int64

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]bool
	conns     map[io.Closer]bool
	self      map[netip.AddrPort]bool // the proxy's own TCP listeners
	wg        sync.WaitGroup
}

// New builds the proxy for a profile's network.json. The profile must be
// proxied (a domains table). Upstream proxy variables are read once, here.
func New(n driver.Network, opts Options) (*Server, error) {
	if n.Mode != ir.NetProxied || n.Proxy == nil {
		return nil, fmt.Errorf("proxy: the profile's network is %s, not proxied: there is nothing to filter", n.Mode)
	}
	opts = opts.withDefaults()
	pol, err := NewPolicy(n.Domains, n.Proxy.AllowLocalBinding, opts.Resolver)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		policy: pol, udp: n.Proxy.SOCKS5UDP, opts: opts, log: opts.Logger,
		ctx: ctx, cancel: cancel, sem: make(chan struct{}, opts.MaxConns),
		listeners: map[net.Listener]bool{}, conns: map[io.Closer]bool{}, self: map[netip.AddrPort]bool{},
	}
	if n.Proxy.AllowUpstreamProxy && opts.Getenv != nil {
		if s.up, err = newUpstream(opts.Getenv); err != nil {
			cancel()
			return nil, err
		}
	}
	return s, nil
}

// Policy returns the decision function the server applies.
func (s *Server) Policy() *Policy { return s.policy }

// ServeHTTPProxy serves HTTP proxy clients (absolute-form requests and
// CONNECT) accepted from l until Close, then returns net.ErrClosed. The
// listener may be TCP or a Unix socket.
func (s *Server) ServeHTTPProxy(l net.Listener) error { return s.serve(l, s.handleHTTP) }

// ServeSOCKS5 serves SOCKS5 clients accepted from l until Close, then
// returns net.ErrClosed. UDP ASSOCIATE, when the profile enables it, needs
// a TCP listener: its datagrams arrive on a UDP socket beside it.
func (s *Server) ServeSOCKS5(l net.Listener) error { return s.serve(l, s.handleSOCKS) }

// Close stops every listener and connection, cancels lookups and dials in
// flight, and waits for every connection's goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.cancel()
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// serve accepts until the listener or the server closes.
func (s *Server) serve(l net.Listener, handle func(net.Conn)) error {
	if !s.addListener(l) {
		l.Close()
		return net.ErrClosed
	}
	defer s.removeListener(l)
	errc := make(chan error, 1)
	go s.accept(l, handle, errc)
	return <-errc
}

// accept accepts one connection and serves it on its own goroutine,
// having first started the next accept on a new one: the thread that
// accepted a connection goes on to read its request, with no handoff to
// another goroutine (and, as often as not, another thread to be woken) in
// the path of its first bytes. One accept goroutine runs at a time; the
// one that stops accepting says why on errc.
func (s *Server) accept(l net.Listener, handle func(net.Conn), errc chan<- error) {
	growStack()
	backoff := time.Duration(0)
	for {
		select {
		case s.sem <- struct{}{}:
		case <-s.ctx.Done():
			errc <- net.ErrClosed
			return
		}
		c, err := l.Accept()
		if err != nil {
			<-s.sem
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				errc <- net.ErrClosed
				return
			}
			if te, ok := err.(interface{ Temporary() bool }); !ok || !te.Temporary() {
				errc <- err
				return
			}
			// Out of descriptors and the like: wait and retry.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		if !s.start(c) {
			<-s.sem
			c.Close()
			errc <- net.ErrClosed
			return
		}
		go s.accept(l, handle, errc)
		defer s.wg.Done()
		defer func() { <-s.sem }()
		defer s.untrack(c)
		defer c.Close()
		handle(c)
		return
	}
}

func (s *Server) addListener(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.listeners[l] = true
	if a, ok := l.Addr().(*net.TCPAddr); ok {
		s.self[a.AddrPort()] = true
	}
	return true
}

func (s *Server) removeListener(l net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, l)
	l.Close()
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// start registers a client connection and its goroutine.
func (s *Server) start(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = true
	s.wg.Add(1)
	return true
}

// track registers something Close must close (an outbound connection or
// a UDP socket); it reports false, having closed it, after Close.
func (s *Server) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.conns[c] = true
	return true
}

func (s *Server) untrack(c io.Closer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// isSelf reports whether a destination is one of the proxy's own TCP
// listeners, which would make the proxy loop into itself: the same
// address and port, any address on the port of a listener on every
// address, or the unspecified address (0.0.0.0, "::"), which a connect
// takes to mean this host's loopback, on the port of a listener there.
func (s *Server) isSelf(ap netip.AddrPort) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst := ap.Addr().Unmap()
	for l := range s.self {
		la := l.Addr().Unmap()
		if l.Port() != ap.Port() {
			continue
		}
		if la == dst || la.IsUnspecified() || dst.IsUnspecified() && la.IsLoopback() {
			return true
		}
	}
	return false
}

// decide runs the policy for one destination and logs the decision.
func (s *Server) decide(proto string, client net.Conn, rawHost string, port uint16) Decision {
	d := s.check(rawHost, port)
	s.logDecision(proto, client, rawHost, &d)
	return d
}

// check runs the policy for one destination, without logging: the caller
// logs the decision with a decisionLog. A destination the policy allows
// that is one of the proxy's own listeners is refused here (ReasonSelf),
// so that the log says so.
func (s *Server) check(rawHost string, port uint16) Decision {
	d := s.policy.decide(s.lookupCtx, rawHost, port)
	if d.Allowed() {
		for _, a := range d.Addrs {
			if s.isSelf(netip.AddrPortFrom(a, d.Port)) {
				d.Reason, d.Addr, d.Addrs = ReasonSelf, a, nil
				break
			}
		}
	}
	return d
}

// lookupCtx bounds a lookup by DialTimeout and ends it at Close.
func (s *Server) lookupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.opts.DialTimeout)
}

// decisionLog logs one tunnel's decision exactly once. A refusal or a
// failed dial is logged before it is answered; an allowed tunnel is
// logged once its copies are under way (splice's started hook), beside
// the first bytes instead of in front of them. A deferred log covers every
// other way out.
type decisionLog struct {
	s       *Server
	proto   string
	client  net.Conn
	rawHost string
	d       *Decision
	once    sync.Once
}

func (l *decisionLog) log() {
	l.once.Do(func() { l.s.logDecision(l.proto, l.client, l.rawHost, l.d) })
}

func (s *Server) logDecision(proto string, client net.Conn, rawHost string, d *Decision) {
	if !s.log.Enabled(s.ctx, slog.LevelInfo) {
		return
	}
	verdict := "allow"
	if !d.Allowed() {
		verdict = "refuse"
	}
	attrs := []slog.Attr{
		slog.String("proto", proto), slog.String("client", clientName(client)),
		slog.String("target", clip(rawHost)), slog.Int("port", int(d.Port)),
		slog.String("reason", d.Reason.String()),
	}
	if d.Rule != nil {
		attrs = append(attrs, slog.String("rule", d.Rule.Pattern), slog.String("origin", d.Rule.Origin.String()))
	}
	if len(d.Addrs) > 0 {
		attrs = append(attrs, slog.Any("addrs", d.Addrs))
	}
	attrs = append(attrs, slog.String("why", clip(d.Explain())))
	// A record without a caller's pc: Logger.LogAttrs would walk the
	// stack for one (runtime.Callers) in every tunnel's path, and the
	// source line of every decision would be this one.
	r := slog.NewRecord(time.Now(), slog.LevelInfo, verdict, 0)
	r.AddAttrs(attrs...)
	s.log.Handler().Handle(s.ctx, r)
}

// maxLogged bounds a client-chosen string in a log line: a request
// head may hold a 64 KiB host, and each refusal is logged.
const maxLogged = 256

// clip shortens s to maxLogged bytes, saying how long it was.
func clip(s string) string {
	if len(s) <= maxLogged {
		return s
	}
	return fmt.Sprintf("%s... (%d bytes)", strings.ToValidUTF8(s[:maxLogged], ""), len(s))
}

func clientName(c net.Conn) string {
	if c == nil {
		return ""
	}
	a := c.RemoteAddr()
	if a == nil {
		return ""
	}
	if a.String() == "" || a.String() == "@" {
		return a.Network()
	}
	return a.String()
}

// errSelf refuses a destination that is the proxy itself.
var errSelf = errors.New("the destination is this proxy's own listener")

// dial connects to a checked destination (check has refused the proxy's
// own listeners): through the upstream proxy when one applies (addressed
// by the checked IP literal), or directly to each checked address in
// turn. It returns bytes the upstream proxy sent after its reply, which
// belong to the client.
func (s *Server) dial(d *Decision, scheme string) (net.Conn, []byte, error) {
	if u := s.up.proxyFor(scheme, d.Host, d.Port); u != nil {
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.DialTimeout)
		defer cancel()
		return s.up.dial(ctx, s, u, d)
	}
	deadline := time.Now().Add(s.opts.DialTimeout)
	var err error
	for _, a := range d.Addrs {
		var c net.Conn
		c, err = s.dialAddr(deadline, netip.AddrPortFrom(a, d.Port))
		if err == nil {
			return c, nil, nil
		}
	}
	if err == nil {
		err = errors.New("no address to dial")
	}
	return nil, nil, err
}

// dialAddr dials one checked address, by the deadline and until Close.
// The default dialer makes the deadline's context (a runtime timer) only
// when the connection does not complete at once.
func (s *Server) dialAddr(deadline time.Time, ap netip.AddrPort) (net.Conn, error) {
	if dd, ok := s.opts.Dialer.(*directDialer); ok {
		return dd.dial(s.ctx, deadline, ap)
	}
	ctx, cancel := context.WithDeadline(s.ctx, deadline)
	defer cancel()
	return s.opts.Dialer.DialContext(ctx, "tcp", ap.String())
}

// Listen opens the TCP listeners of `permc proxy`: proxy_url, and
// socks_url when SOCKS5 is enabled (socksL is nil otherwise). A
// non-loopback address is refused unless the profile sets
// dangerously_allow_non_loopback_proxy.
func Listen(n driver.Network) (httpL, socksL net.Listener, err error) {
	if n.Mode != ir.NetProxied || n.Proxy == nil {
		return nil, nil, fmt.Errorf("proxy: the profile's network is %s, not proxied: there is nothing to filter", n.Mode)
	}
	httpL, err = listen("proxy_url", n.Proxy.HTTP, n.Proxy.NonLoopback)
	if err != nil || n.Proxy.SOCKS5 == "" {
		return httpL, nil, err
	}
	socksL, err = listen("socks_url", n.Proxy.SOCKS5, n.Proxy.NonLoopback)
	if err != nil {
		httpL.Close()
		return nil, nil, err
	}
	return httpL, socksL, nil
}

func listen(key, rawURL string, nonLoopback bool) (net.Listener, error) {
	ap, err := passes.ListenAddr(rawURL)
	if err != nil {
		return nil, fmt.Errorf("proxy: %s %q: %v", key, rawURL, err)
	}
	if !ap.Addr().IsLoopback() && !nonLoopback {
		return nil, fmt.Errorf("proxy: %s %q is not a loopback address; "+
			"set dangerously_allow_non_loopback_proxy = true to listen there", key, rawURL)
	}
	// On loopback no TCP keep-alive for clients: it costs four system
	// calls before each connection's first byte, and a loopback peer
	// cannot vanish without the kernel closing its end. Elsewhere Go's
	// default.
	lc := net.ListenConfig{Control: deferAccept}
	if ap.Addr().IsLoopback() {
		lc.KeepAlive = -1
	}
	l, err := lc.Listen(context.Background(), "tcp", ap.String())
	if err != nil {
		return nil, fmt.Errorf("proxy: %s: %v", key, err)
	}
	return l, nil
}

// growStack grows the calling goroutine's stack, while it is still
// shallow, to what serving a connection needs (16 KiB). A goroutine
// starts with a small stack that the runtime doubles whenever a call
// would overflow it, copying every frame: serving a tunnel (net's dial,
// the policy, slog) took two or three such copies, each a walk of the
// whole stack, in the path of every tunnel's first bytes. One copy of a
// frame or two costs less, and a 16 KiB stack comes from the runtime's
// per-processor cache. A goroutine that then idles gets its stack shrunk
// back at a collection, as any other.
//
//go:noinline
func growStack() {
	var frame [12 << 10]byte
	keepFrame(frame[:])
}

//go:noinline
func keepFrame(b []byte) { b[0] = 1 }
