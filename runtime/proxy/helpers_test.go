package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/ir/host"
)

// Test addresses. No test sends a packet anywhere but loopback: names
// resolve through fakeResolver, and testDialer dials only loopback,
// translating publicAddr (a stand-in for an ordinary internet host) to
// the loopback origin that plays it.
var (
	publicAddr = netip.MustParseAddr("1.2.3.4")
	originAddr = netip.MustParseAddr("127.0.0.2")
	defaultDNS = map[string][]string{
		"allowed.test":     {"1.2.3.4"},
		"www.allowed.test": {"1.2.3.4"},
		"denied.test":      {"1.2.3.4"},
		"other.test":       {"1.2.3.4"},
		"evil.test":        {"10.0.0.5"},
		"meta.test":        {"169.254.169.254"},
		"mixed.test":       {"1.2.3.4", "192.168.1.7"},
		"mapped.test":      {"::ffff:10.1.1.1"},
		"loop.test":        {"127.0.0.2"},
		"example.test":     {"127.0.0.1"},
	}
)

// fakeResolver answers from a table and counts lookups; names not in it
// fail, as a real lookup of an unknown name does.
type fakeResolver struct {
	mu    sync.Mutex
	table map[string][]netip.Addr
	calls map[string]int
	// unrooted are the names looked up without a final dot, which a
	// real resolver would try with the search domains first.
	unrooted []string
}

func newResolver(table map[string][]string) *fakeResolver {
	r := &fakeResolver{table: map[string][]netip.Addr{}, calls: map[string]int{}}
	for name, addrs := range table {
		for _, a := range addrs {
			r.table[name] = append(r.table[name], netip.MustParseAddr(a))
		}
	}
	return r
}

func (r *fakeResolver) LookupNetIP(ctx context.Context, network, name string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !strings.HasSuffix(name, ".") {
		r.unrooted = append(r.unrooted, name)
	}
	name = strings.TrimSuffix(name, ".")
	r.calls[name]++
	if a, ok := r.table[name]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r *fakeResolver) set(name string, addrs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.table[name] = nil
	for _, a := range addrs {
		r.table[name] = append(r.table[name], netip.MustParseAddr(a))
	}
}

func (r *fakeResolver) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[name]
}

// testDialer records every address the proxy dials and fails the test on
// anything that is not loopback once publicAddr is translated.
type testDialer struct {
	t     testing.TB
	mu    sync.Mutex
	nat   map[netip.Addr]netip.Addr
	dials []string
}

func newDialer(t testing.TB) *testDialer {
	return &testDialer{t: t, nat: map[netip.Addr]netip.Addr{publicAddr: originAddr}}
}

func (d *testDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, network+" "+address)
	d.mu.Unlock()
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		d.t.Errorf("proxy dialed %q, not an ip literal", address)
		return nil, errors.New("test: not an ip literal")
	}
	a := ap.Addr()
	if n, ok := d.nat[a]; ok {
		a = n
	}
	if !a.IsLoopback() {
		d.t.Errorf("proxy dialed non-loopback address %s", address)
		return nil, errors.New("test: refusing a non-loopback dial")
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, netip.AddrPortFrom(a, ap.Port()).String())
}

func (d *testDialer) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dials...)
}

func (d *testDialer) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dials = nil
}

// origin is a test HTTP(S) server on a loopback address that records the
// Host header of every request it sees.
type origin struct {
	srv  *httptest.Server
	port int
	mu   sync.Mutex
	seen []string
}

func newOrigin(t testing.TB, ip string, tls bool) *origin {
	o := &origin{}
	o.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.seen = append(o.seen, r.Host)
		o.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Origin-Host", r.Host)
		fmt.Fprintf(w, "origin %s %s %s body=%q", r.Method, r.Host, r.URL.RequestURI(), body)
	}))
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	o.srv.Listener.Close()
	o.srv.Listener = l
	if tls {
		o.srv.StartTLS()
	} else {
		o.srv.Start()
	}
	t.Cleanup(o.srv.Close)
	o.port = l.Addr().(*net.TCPAddr).Port
	return o
}

func (o *origin) hosts() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

// rule builds a domain rule as the passes would, written at line n of
// test.toml.
func rule(t testing.TB, spec string, line int) ir.DomainRule {
	pat, effect, _ := strings.Cut(spec, "=")
	p, err := host.ParsePattern(pat)
	if err != nil {
		t.Fatalf("pattern %q: %v", pat, err)
	}
	return ir.DomainRule{Pattern: p.String(), Allow: effect == "allow",
		Origin: ir.Origin{Pos: diag.Pos{File: "test.toml", Line: line}, Profile: "p"}}
}

func rules(t testing.TB, specs ...string) []ir.DomainRule {
	var out []ir.DomainRule
	for i, s := range specs {
		out = append(out, rule(t, s, i+1))
	}
	return out
}

// envConfig describes a proxy under test.
type envConfig struct {
	rules      []string // "pattern=allow" or "pattern=deny"
	allowLocal bool
	udp        bool
	env        map[string]string // upstream proxy variables; nil: none
	opts       func(*Options)
}

// testEnv is a running proxy on loopback listeners.
type testEnv struct {
	t      testing.TB
	srv    *Server
	http   string // host:port of the HTTP listener
	socks  string
	res    *fakeResolver
	dialer *testDialer
	logs   *syncBuffer
}

func newEnv(t testing.TB, cfg envConfig) *testEnv {
	e := &testEnv{t: t, res: newResolver(defaultDNS), dialer: newDialer(t), logs: &syncBuffer{}}
	n := driver.Network{Mode: ir.NetProxied, Domains: rules(t, cfg.rules...), Proxy: &driver.ProxySettings{
		HTTP: "http://127.0.0.1:3128", SOCKS5: "http://127.0.0.1:8081", SOCKS5UDP: cfg.udp,
		AllowUpstreamProxy: cfg.env != nil, AllowLocalBinding: cfg.allowLocal,
	}}
	opts := Options{Resolver: e.res, Dialer: e.dialer,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil))}
	if cfg.env != nil {
		opts.Getenv = func(k string) string { return cfg.env[k] }
	}
	if cfg.opts != nil {
		cfg.opts(&opts)
	}
	srv, err := New(n, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.http, e.socks = hl.Addr().String(), sl.Addr().String()
	errc := make(chan error, 2)
	go func() { errc <- srv.ServeHTTPProxy(hl) }()
	go func() { errc <- srv.ServeSOCKS5(sl) }()
	t.Cleanup(func() {
		srv.Close()
		for range 2 {
			if err := <-errc; !errors.Is(err, net.ErrClosed) {
				t.Errorf("serve returned %v, want net.ErrClosed", err)
			}
		}
	})
	return e
}

// rawConn is a client connection that writes bytes exactly as given, so
// no client library normalises the host first.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func (e *testEnv) raw() *rawConn {
	c, err := net.Dial("tcp", e.http)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: e.t, c: c, br: bufio.NewReader(c)}
}

// response is a response read off a raw connection, body included.
type response struct {
	code   int
	header http.Header
	body   string
	close  bool
}

// do writes a request and reads one response (nil if the connection
// closed first).
func (r *rawConn) do(req string, method string) *response {
	if _, err := io.WriteString(r.c, req); err != nil {
		r.t.Logf("write: %v", err)
		return nil
	}
	return r.read(method)
}

func (r *rawConn) read(method string) *response {
	resp, err := http.ReadResponse(r.br, &http.Request{Method: method})
	if err != nil {
		return nil
	}
	if method == http.MethodConnect && resp.StatusCode == 200 {
		return &response{code: 200, header: resp.Header} // a tunnel, not a body
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return &response{code: resp.StatusCode, header: resp.Header, body: string(body), close: resp.Close}
}

// status renders a response for error messages.
func (r *response) String() string {
	if r == nil {
		return "<connection closed>"
	}
	return strconv.Itoa(r.code) + " " + r.header.Get(DecisionHeader) + " " + r.body
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// settleGoroutines waits for the goroutine count to fall to at most want.
func settleGoroutines(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	n := runtime.NumGoroutine()
	for n > want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > want {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%d goroutines left, want at most %d:\n%s", n, want, buf)
	}
}

// port renders an origin port.
func (o *origin) portStr() string { return strconv.Itoa(o.port) }

// testNetwork is network.json of a proxied profile with these rules.
func testNetwork(t testing.TB, specs ...string) driver.Network {
	return driver.Network{Mode: ir.NetProxied, Domains: rules(t, specs...), Proxy: &driver.ProxySettings{
		HTTP: "http://127.0.0.1:3128", SOCKS5: "http://127.0.0.1:8081", AllowUpstreamProxy: true}}
}

// serveLoop accepts on ip (any port) until the test ends, running f on
// each connection in a goroutine of its own and closing it after; it
// returns the listener's address.
func serveLoop(tb testing.TB, ip string, f func(net.Conn)) string {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				f(c)
			}()
		}
	}()
	return l.Addr().String()
}
