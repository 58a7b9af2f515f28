package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// goClient is Go's HTTP client with the proxy set explicitly: Go never
// proxies loopback destinations on its own.
func goClient(proxy string, o *origin) *http.Client {
	pu, _ := url.Parse(proxy)
	tr := &http.Transport{
		Proxy:             func(*http.Request) (*url.URL, error) { return pu, nil },
		DisableKeepAlives: true,
	}
	if o != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: o.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
			ServerName: "example.com"}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestHTTPDecisions: allowed, denied, not allowlisted and guarded
// destinations through Go's client, plain and through CONNECT.
func TestHTTPDecisions(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", false)
	so := newOrigin(t, "127.0.0.2", true)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow", "denied.test=deny", "**.test=allow"}})
	for _, proxy := range []string{"http://" + e.http, "socks5://" + e.socks} {
		t.Run(proxy[:5], func(t *testing.T) {
			c := goClient(proxy, so)
			code, _, body := get(t, c, "http://allowed.test:"+o.portStr()+"/a?b=1")
			if want := "origin GET allowed.test:" + o.portStr() + " /a?b=1"; code != 200 || !strings.HasPrefix(body, want) {
				t.Errorf("allowed: %d %q, want 200 %q", code, body, want)
			}
			code, _, body = get(t, c, "https://allowed.test:"+so.portStr()+"/tls")
			if code != 200 || !strings.Contains(body, "/tls") {
				t.Errorf("allowed over tls: %d %q", code, body)
			}
		})
	}

	c := goClient("http://"+e.http, nil)
	refusals := []struct {
		host, reason, why string
	}{
		{"denied.test", "denied", `denied by "denied.test" at test.toml:2 (p)`},
		{"evil.test", "local-guard", "resolves to 10.0.0.5"},
		{"127.0.0.2", "not-allowlisted", "wildcards never match"},
		{"fail.test", "lookup-failed", "did not resolve"},
	}
	for _, r := range refusals {
		code, h, body := get(t, c, "http://"+r.host+":"+o.portStr()+"/")
		if code != http.StatusForbidden || h.Get(DecisionHeader) != r.reason || !strings.Contains(body, r.why) {
			t.Errorf("%s: %d %s %q, want 403 %s %q", r.host, code, h.Get(DecisionHeader), body, r.reason, r.why)
		}
	}
	e2 := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}})
	code, h, body := get(t, goClient("http://"+e2.http, nil), "http://other.test:"+o.portStr()+"/")
	if code != 403 || h.Get(DecisionHeader) != "not-allowlisted" {
		t.Errorf("not allowlisted: %d %s %q", code, h.Get(DecisionHeader), body)
	}

	// A CONNECT to a refused destination is refused before any dial.
	tlsClient := goClient("http://"+e.http, so)
	if _, err := tlsClient.Get("https://denied.test:" + so.portStr() + "/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("https to denied.test: %v, want a Forbidden CONNECT", err)
	}
	for _, h := range o.hosts() {
		if !strings.HasPrefix(h, "allowed.test") {
			t.Errorf("origin saw Host %q", h)
		}
	}
	if n := e.res.count("allowed.test"); n != 4 {
		t.Errorf("allowed.test looked up %d times for 4 requests", n)
	}
	if !strings.Contains(e.logs.String(), "refuse") || !strings.Contains(e.logs.String(), "reason=denied") {
		t.Errorf("decisions not logged:\n%s", e.logs)
	}
}

// rawGet is an absolute-form GET with a Host header, written as is.
func rawGet(target, hostHeader string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n\r\n"
}

// TestNumericHostAlias is numeric-host-alias.md: with "*" allowed and the
// metadata address denied, no spelling of a guarded or denied address
// gets through HTTP, CONNECT or SOCKS5, and nothing is dialed.
func TestNumericHostAlias(t *testing.T) {
	e := newEnv(t, envConfig{rules: []string{"*=allow", "169.254.169.254=deny"}})
	type want struct {
		spellings []string
		reason    string
	}
	for _, w := range []want{{loopbackSpellings, "local-guard"}, {metadataSpellings, "denied"}} {
		for _, s := range w.spellings {
			if strings.Contains(s, "%") || !strings.HasPrefix(s, "[") && strings.Count(s, ":") > 1 {
				continue // not valid in a URL authority; covered by the policy tests
			}
			hp := s + ":8080"
			r := e.raw().do(rawGet("http://"+hp+"/", hp), "GET")
			if r == nil || r.code != 403 || r.header.Get(DecisionHeader) != w.reason {
				t.Errorf("GET http://%s/: %v, want 403 %s", hp, r, w.reason)
			}
			r = e.raw().do("CONNECT "+hp+" HTTP/1.1\r\nHost: "+hp+"\r\n\r\n", "CONNECT")
			if r == nil || r.code != 403 || r.header.Get(DecisionHeader) != w.reason {
				t.Errorf("CONNECT %s: %v, want 403 %s", hp, r, w.reason)
			}
			if rep := socksDial(t, e.socks, socksDomain(strings.Trim(s, "[]"), 8080)); rep != socksNotAllowed {
				t.Errorf("socks5 %s: reply %#x, want %#x", s, rep, socksNotAllowed)
			}
		}
	}
	for _, name := range []string{"evil.test", "meta.test", "mixed.test", "mapped.test", "loop.test"} {
		r := e.raw().do(rawGet("http://"+name+"/", name), "GET")
		if r == nil || r.code != 403 || r.header.Get(DecisionHeader) != "local-guard" {
			t.Errorf("%s: %v, want 403 local-guard", name, r)
		}
	}
	if d := e.dialer.list(); len(d) != 0 {
		t.Errorf("the proxy dialed %v", d)
	}
}

// TestLoopbackLiteral is loopback-literal-allowlisted.md end to end.
func TestLoopbackLiteral(t *testing.T) {
	o := newOrigin(t, "127.0.0.1", false)
	e := newEnv(t, envConfig{rules: []string{"127.0.0.1=allow", "example.test=allow"}})
	c := goClient("http://"+e.http, nil)
	code, _, body := get(t, c, "http://127.0.0.1:"+o.portStr()+"/")
	if code != 200 || !strings.Contains(body, "origin GET 127.0.0.1:") {
		t.Errorf("127.0.0.1: %d %q, want the origin", code, body)
	}
	for _, h := range []string{"localhost", "127.0.0.2", "example.test"} {
		code, hdr, body := get(t, c, "http://"+h+":"+o.portStr()+"/")
		if code != 403 {
			t.Errorf("%s: %d %s %q, want 403", h, code, hdr.Get(DecisionHeader), body)
		}
	}
	e.res.set("example.test", "192.168.3.4")
	if code, _, body := get(t, c, "http://example.test:"+o.portStr()+"/"); code != 403 {
		t.Errorf("example.test resolving to a private address: %d %q", code, body)
	}
	if d := e.dialer.list(); len(d) != 1 || d[0] != "tcp 127.0.0.1:"+o.portStr() {
		t.Errorf("dials %v, want the one allowed", d)
	}
}

// TestHostMismatch is proxy-host-mismatch.md: raw requests that would
// reach denied.test are refused on every request of a connection, and
// the origin never sees denied.test.
func TestHostMismatch(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", false)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}})
	p := o.portStr()
	allowed, denied := "allowed.test:"+p, "denied.test:"+p

	if r := e.raw().do(rawGet("http://"+denied+"/", denied), "GET"); r == nil || r.code != 403 {
		t.Errorf("GET http://denied.test/: %v, want 403", r)
	}
	if r := e.raw().do(rawGet("http://"+allowed+"/", denied), "GET"); r == nil || r.code != 400 {
		t.Errorf("allowed target, Host: denied.test: %v, want 400", r)
	}
	rc := e.raw()
	if r := rc.do(rawGet("http://"+allowed+"/first", "ALLOWED.test.:"+p), "GET"); r == nil || r.code != 200 ||
		!strings.Contains(r.body, "origin GET allowed.test:"+p+" /first") {
		t.Errorf("good request: %v, want 200 with Host allowed.test", r)
	}
	if r := rc.do(rawGet("http://"+denied+"/second", denied), "GET"); r == nil || r.code != 403 {
		t.Errorf("denied request on a kept-alive connection: %v, want 403", r)
	}
	if r := rc.do(rawGet("http://"+allowed+"/third", allowed), "GET"); r == nil || r.code != 200 {
		t.Errorf("the connection is still usable after a refusal: %v", r)
	}
	if r := e.raw().do(rawGet("/", denied), "GET"); r == nil || r.code/100 != 4 {
		t.Errorf("origin-form GET / with Host: denied.test: %v, want 403 or 400", r)
	}
	// Pipelined: both requests in one write.
	pc := e.raw()
	pc.c.Write([]byte(rawGet("http://"+allowed+"/p1", allowed) + rawGet("http://"+denied+"/p2", denied)))
	if r := pc.read("GET"); r == nil || r.code != 200 {
		t.Errorf("pipelined allowed: %v", r)
	}
	if r := pc.read("GET"); r == nil || r.code != 403 {
		t.Errorf("pipelined denied: %v", r)
	}
	for _, h := range o.hosts() {
		if h != allowed {
			t.Errorf("origin saw Host %q, want only %q", h, allowed)
		}
	}
	if len(o.hosts()) != 3 {
		t.Errorf("origin saw %d requests, want 3", len(o.hosts()))
	}
}

// TestConnectHostMismatch: a CONNECT whose Host header names another host
// is malformed.
func TestConnectHostMismatch(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", true)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}})
	p := o.portStr()
	cases := []struct {
		target, host string
		code         int
	}{
		{"allowed.test:" + p, "denied.test:" + p, 400},
		{"allowed.test:" + p, "allowed.test:1", 400},
		{"allowed.test:" + p, "allowed.test", 200},
		{"allowed.test:" + p, "Allowed.Test.:" + p, 200},
		{"denied.test:" + p, "allowed.test:" + p, 400},
		{"allowed.test", "allowed.test", 400},
		{"allowed.test:0", "allowed.test:0", 400},
		{"user@allowed.test:" + p, "allowed.test:" + p, 400},
	}
	for _, c := range cases {
		r := e.raw().do("CONNECT "+c.target+" HTTP/1.1\r\nHost: "+c.host+"\r\n\r\n", "CONNECT")
		if r == nil || r.code != c.code {
			t.Errorf("CONNECT %s Host %s: %v, want %d", c.target, c.host, r, c.code)
		}
	}
	for _, d := range e.dialer.list() {
		if d != "tcp 1.2.3.4:"+p {
			t.Errorf("dialed %s", d)
		}
	}
}

// TestMalformedRequests: ambiguous framing and malformed heads are
// refused before anything is dialed.
func TestMalformedRequests(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", false)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}})
	a := "allowed.test:" + o.portStr()
	start := "POST http://" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\n"
	cases := []struct {
		name, req string
		code      int
	}{
		{"cl and te", start + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"te and cl", start + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
		{"two cl", start + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400},
		{"cl list", start + "Content-Length: 5, 6\r\n\r\nhello", 400},
		{"cl sign", start + "Content-Length: +5\r\n\r\nhello", 400},
		{"cl negative", start + "Content-Length: -1\r\n\r\n", 400},
		{"cl hex", start + "Content-Length: 0x5\r\n\r\nhello", 400},
		{"te gzip", start + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
		{"te twice", start + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
		{"te http/1.0", "POST http://" + a + "/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"obs fold", start + "X-A: 1\r\n folded\r\n\r\n", 400},
		{"space before colon", start + "X-A : 1\r\n\r\n", 400},
		{"two hosts", start + "Host: " + a + "\r\n\r\n", 400},
		{"ctl in value", start + "X-A: a\x01b\r\n\r\n", 400},
		{"http/2", "GET http://" + a + "/ HTTP/2.0\r\n\r\n", 505},
		{"garbage", "HELLO\r\n\r\n", 400},
		{"https absolute", "GET https://" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\n\r\n", 501},
		{"ftp", "GET ftp://" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\n\r\n", 400},
		{"userinfo", rawGet("http://allowed.test@denied.test/", "denied.test"), 400},
		{"userinfo same", rawGet("http://x@"+a+"/", a), 400},
		{"bare ipv6", rawGet("http://::1:80/", "[::1]:80"), 400},
		{"fragment", rawGet("http://"+a+"/#x", a), 400},
		{"bad host", rawGet("http://a..b/", "a..b"), 400},
		{"empty host", rawGet("http:///", ""), 400},
		{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: " + a + "\r\n\r\n", 400},
	}
	for _, c := range cases {
		r := e.raw().do(c.req, "GET")
		if r == nil || r.code != c.code {
			t.Errorf("%s: %v, want %d", c.name, r, c.code)
		}
	}
	if d := e.dialer.list(); len(d) != 0 {
		t.Errorf("dialed %v", d)
	}
	if len(o.hosts()) != 0 {
		t.Errorf("origin saw %v", o.hosts())
	}
}

// TestBodies: request bodies are reframed, kept-alive connections stay in
// step, and 100-continue reaches the client.
func TestBodies(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", false)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}})
	a := "allowed.test:" + o.portStr()
	start := "POST http://" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\n"
	rc := e.raw()
	if r := rc.do(start+"Content-Length: 5\r\n\r\nhello", "POST"); r == nil || !strings.Contains(r.body, `body="hello"`) {
		t.Errorf("content-length body: %v", r)
	}
	if r := rc.do(start+"Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n", "POST"); r == nil ||
		!strings.Contains(r.body, `body="abcde"`) {
		t.Errorf("chunked body: %v", r)
	}
	if r := rc.do(rawGet("http://"+a+"/after", a), "GET"); r == nil || !strings.Contains(r.body, "/after") {
		t.Errorf("request after bodies: %v", r)
	}
	// A bad chunk size ends the connection without a request slipping out.
	if r := rc.do(start+"Transfer-Encoding: chunked\r\n\r\nzz\r\n"+rawGet("http://denied.test/", "denied.test"), "POST"); r != nil && r.code == 200 {
		t.Errorf("bad chunk: %v", r)
	}

	ec := e.raw()
	io.WriteString(ec.c, start+"Content-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	if r := ec.read("POST"); r == nil || r.code != 100 {
		t.Fatalf("expect: %v, want 100 Continue", r)
	}
	io.WriteString(ec.c, "body")
	if r := ec.read("POST"); r == nil || r.code != 200 || !strings.Contains(r.body, `body="body"`) {
		t.Errorf("after 100 continue: %v", r)
	}

	// HTTP/1.0: the response is delimited and the connection closed.
	r := e.raw().do("GET http://"+a+"/old HTTP/1.0\r\n\r\n", "GET")
	if r == nil || r.code != 200 || !r.close || !strings.Contains(r.body, "/old") {
		t.Errorf("http/1.0: %v", r)
	}
	r = e.raw().do("HEAD http://"+a+"/ HTTP/1.1\r\nHost: "+a+"\r\n\r\n", "HEAD")
	if r == nil || r.code != 200 || r.body != "" {
		t.Errorf("head: %v", r)
	}
}

// TestOversizedHead: heads past MaxHeaderBytes get 431.
func TestOversizedHead(t *testing.T) {
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}, opts: func(o *Options) { o.MaxHeaderBytes = 16 << 10 }})
	big := strings.Repeat("a", 20<<10)
	for name, req := range map[string]string{
		"header": "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nX-Big: " + big + "\r\n\r\n",
		"many":   "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\n" + strings.Repeat("X-A: 1\r\n", 3000) + "\r\n",
		"target": "GET http://allowed.test/" + big + " HTTP/1.1\r\nHost: allowed.test\r\n\r\n",
	} {
		r := e.raw().do(req, "GET")
		if r == nil || r.code != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: %v, want 431", name, r)
		}
	}
}

// TestSlowClients: clients that send nothing, trickle a head or stall in
// a body are cut off by the timeouts, and their goroutines end.
func TestSlowClients(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", false)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}, opts: func(o *Options) {
		o.HeaderTimeout, o.IdleTimeout = 300*time.Millisecond, 300*time.Millisecond
	}})
	// Warm up so the goroutines of the origin and of the proxy's first use
	// are counted in the baseline.
	get(t, goClient("http://"+e.http, nil), "http://allowed.test:"+o.portStr()+"/")
	time.Sleep(100 * time.Millisecond)
	base := runtime.NumGoroutine()

	a := "allowed.test:" + o.portStr()
	kinds := map[string]func(c net.Conn){
		"silent":  func(c net.Conn) {},
		"trickle": func(c net.Conn) { trickle(c, rawGet("http://"+a+"/", a), 50*time.Millisecond) },
		"body": func(c net.Conn) {
			io.WriteString(c, "POST http://"+a+"/ HTTP/1.1\r\nHost: "+a+"\r\nContent-Length: 100\r\n\r\nabc")
		},
		"idle": func(c net.Conn) { io.WriteString(c, rawGet("http://"+a+"/", a)) },
	}
	var wg sync.WaitGroup
	start := time.Now()
	for name, f := range kinds {
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", e.http)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				go f(c)
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				// EOF or a reset both mean the proxy closed it.
				_, err = io.Copy(io.Discard, c)
				if isTimeout(err) {
					t.Errorf("%s: the proxy did not close the connection: %v", name, err)
				}
			}()
		}
	}
	wg.Wait()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("slow clients held on for %v", d)
	}
	settleGoroutines(t, base+2)
}

// trickle writes s a byte at a time.
func trickle(c net.Conn, s string, every time.Duration) {
	for i := 0; i < len(s); i++ {
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
		time.Sleep(every)
	}
}

// TestConcurrentConnections: 1,000 CONNECT tunnels open at once, each
// carrying its own echo.
func TestConcurrentConnections(t *testing.T) {
	echo := newEcho(t, "127.0.0.2")
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}})
	const n = 1000
	var ready, wg sync.WaitGroup
	ready.Add(n)
	release := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := tunnelTo(e.http, "allowed.test:"+echo.port)
			ready.Done()
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			<-release
			msg := fmt.Sprintf("hello %d\n", i)
			io.WriteString(c, msg)
			buf := make([]byte, len(msg))
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
				errs <- fmt.Errorf("echo %d: %q %v", i, buf, err)
			}
		}()
	}
	ready.Wait()
	close(release)
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed <= 5 {
			t.Error(err)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d connections failed", failed, n)
	}
}

// tunnelTo opens a CONNECT tunnel through the proxy.
func tunnelTo(proxy, target string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", proxy, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\n")
	// Read the reply byte by byte so no tunnel bytes are buffered away.
	var head []byte
	b := make([]byte, 1)
	for !strings.HasSuffix(string(head), "\r\n\r\n") {
		if _, err := c.Read(b); err != nil {
			c.Close()
			return nil, fmt.Errorf("connect reply: %v", err)
		}
		head = append(head, b[0])
	}
	if !strings.HasPrefix(string(head), "HTTP/1.1 200") {
		c.Close()
		return nil, fmt.Errorf("connect: %q", head)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// echoServer echoes every connection on a loopback address.
type echoServer struct {
	port string
}

func newEcho(t testing.TB, ip string) *echoServer {
	addr := serveLoop(t, ip, func(c net.Conn) { io.Copy(c, c) })
	_, port, _ := net.SplitHostPort(addr)
	return &echoServer{port: port}
}

// TestUpstreamProxy: with an upstream in the environment, allowed
// requests go through it addressed by the checked IP literal; refused
// ones never reach it; NO_PROXY and loopback go direct.
func TestUpstreamProxy(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", false)
	up := newUpstreamProxy(t, "127.0.0.4")
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow", "www.allowed.test=allow", "127.0.0.1=allow", "*=allow"},
		env: map[string]string{"HTTP_PROXY": "http://upstream.test:" + up.port, "https_proxy": "http://upstream.test:" + up.port,
			"NO_PROXY": "www.allowed.test"}})
	e.res.set("upstream.test", "127.0.0.4") // loopback: exempt from the guard as the upstream
	c := goClient("http://"+e.http, nil)
	if code, _, body := get(t, c, "http://allowed.test:"+o.portStr()+"/via"); code != 200 ||
		!strings.Contains(body, "GET allowed.test:"+o.portStr()+" /via") {
		t.Errorf("through upstream: %d %q", code, body)
	}
	if code, _, _ := get(t, c, "http://denied.test:"+o.portStr()+"/"); code != 200 {
		t.Errorf("denied.test is allowed by * here: %d", code)
	}
	if code, _, _ := get(t, c, "http://evil.test:"+o.portStr()+"/"); code != 403 {
		t.Errorf("evil.test: %d, want 403 before the upstream", code)
	}
	if code, _, _ := get(t, c, "http://www.allowed.test:"+o.portStr()+"/direct"); code != 200 {
		t.Errorf("no_proxy host: %d", code)
	}
	want := []string{"1.2.3.4:" + o.portStr(), "1.2.3.4:" + o.portStr()}
	if got := up.targets(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("upstream saw CONNECT %v, want %v (checked ip literals only)", got, want)
	}

	if _, err := New(testNetwork(t, "*=allow"), Options{Resolver: e.res, Getenv: func(k string) string {
		if k == "HTTP_PROXY" {
			return "https://proxy.test:1"
		}
		return ""
	}}); err == nil {
		t.Error("an https upstream was accepted")
	}
}

// TestUpstreamCredentialsHidden: an upstream proxy's user information
// (often a token in the user name) appears in no message: not in the
// 502 a sandboxed client reads when the upstream refuses, and not in the
// error for a variable that cannot be used.
func TestUpstreamCredentialsHidden(t *testing.T) {
	refusing := serveLoop(t, "127.0.0.4", func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
	})
	_, port, _ := net.SplitHostPort(refusing)
	for _, proxyURL := range []string{"http://SECRETTOKEN@upstream.test:" + port, "http://user:SECRETPASS@upstream.test:" + port} {
		e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}, env: map[string]string{"HTTP_PROXY": proxyURL}})
		e.res.set("upstream.test", "127.0.0.4")
		code, _, body := get(t, goClient("http://"+e.http, nil), "http://allowed.test:8080/")
		if code != 502 || strings.Contains(body, "SECRET") || strings.Contains(body, "user@") {
			t.Errorf("%s refusing: %d %q; want a 502 without the user information", proxyURL, code, body)
		}
	}
	for _, bad := range []string{"ftp://user:SECRETPASS@127.0.0.1:9", "http://SECRETTOKEN@[::1"} {
		_, err := New(testNetwork(t, "*=allow"), Options{Resolver: newResolver(defaultDNS), Getenv: func(k string) string {
			if k == "HTTPS_PROXY" {
				return bad
			}
			return ""
		}})
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("HTTPS_PROXY=%s: %v; want an error that does not quote the value", bad, err)
		}
	}
}

// upstreamProxy is a test CONNECT proxy that records its targets and
// dials them through a testDialer (so 1.2.3.4 reaches the origin).
type upstreamProxy struct {
	port string
	mu   sync.Mutex
	seen []string
}

func newUpstreamProxy(t *testing.T, ip string) *upstreamProxy {
	u := &upstreamProxy{}
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	_, u.port, _ = net.SplitHostPort(l.Addr().String())
	d := newDialer(t)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go u.serve(c, d)
		}
	}()
	return u
}

func (u *upstreamProxy) serve(c net.Conn, d *testDialer) {
	defer c.Close()
	rc := &rawConn{c: c, br: bufio.NewReader(c)}
	line, _ := rc.br.ReadString('\n')
	for {
		l, err := rc.br.ReadString('\n')
		if err != nil || l == "\r\n" {
			break
		}
	}
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "CONNECT" {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	u.mu.Lock()
	u.seen = append(u.seen, f[1])
	u.mu.Unlock()
	up, err := d.DialContext(context.Background(), "tcp", f[1])
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\n")
	Splice(c, up)
}

func (u *upstreamProxy) targets() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.seen...)
}

// TestSelfLoop: the proxy refuses to connect to its own listener.
func TestSelfLoop(t *testing.T) {
	e := newEnv(t, envConfig{rules: []string{"127.0.0.1=allow"}})
	r := e.raw().do(rawGet("http://"+e.http+"/", e.http), "GET")
	if r == nil || r.code != 403 {
		t.Errorf("request to the proxy itself: %v, want 403", r)
	}
	// The unspecified address reaches a loopback listener too.
	e = newEnv(t, envConfig{rules: []string{"*=allow"}, allowLocal: true})
	_, port, _ := net.SplitHostPort(e.http)
	for _, h := range []string{"0.0.0.0", "0", "[::]", "[::ffff:0.0.0.0]"} {
		hp := h + ":" + port
		r := e.raw().do("CONNECT "+hp+" HTTP/1.1\r\nHost: "+hp+"\r\n\r\n", "CONNECT")
		if r == nil || r.code != 403 {
			t.Errorf("CONNECT %s, the proxy's own port: %v, want 403", hp, r)
		}
	}
	// Logged as what it is, a refusal, never as allowed.
	if logs := e.logs.String(); !strings.Contains(logs, "reason=self") || strings.Contains(logs, "reason=allowed") {
		t.Errorf("the refused loops were logged as:\n%s", logs)
	}
}

// TestQuietByDefault: with no Logger nothing is logged, and the zero
// Options are usable.
func TestQuietByDefault(t *testing.T) {
	s, err := New(testNetwork(t, "allowed.test=allow"), Options{Resolver: newResolver(defaultDNS)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.log.Enabled(context.Background(), slog.LevelError) {
		t.Error("the default logger is enabled")
	}
}

// TestSilentOrigin: an origin that reads a request and never answers gets
// IdleTimeout, after which the client gets a 504 and the origin
// connection is closed; a client that left meanwhile holds nothing.
func TestSilentOrigin(t *testing.T) {
	closed := make(chan time.Time, 8)
	addr := serveLoop(t, originAddr.String(), func(c net.Conn) {
		io.Copy(io.Discard, c) // until the proxy closes it
		closed <- time.Now()
	})
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}, opts: func(o *Options) {
		o.IdleTimeout = 300 * time.Millisecond
	}})
	_, port, _ := net.SplitHostPort(addr)
	req := rawGet("http://allowed.test:"+port+"/", "allowed.test:"+port)

	start := time.Now()
	if r := e.raw().do(req, "GET"); r == nil || r.code != http.StatusGatewayTimeout {
		t.Errorf("silent origin: %v, want 504", r)
	}
	c, err := net.Dial("tcp", e.http)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, req)
	c.Close() // the client leaves while the origin says nothing
	for i := 0; i < 2; i++ {
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("origin connection %d still open 5s later", i+1)
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestTunnelPassesOnAReset: an origin that sends some bytes and then
// resets the connection is seen by the client as a reset after those
// bytes, not as a clean end of a complete stream.
func TestTunnelPassesOnAReset(t *testing.T) {
	l, err := net.Listen("tcp", netip.AddrPortFrom(originAddr, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	payload := strings.Repeat("x", 5000)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, payload)
			time.Sleep(50 * time.Millisecond)
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}})
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	c, err := tunnelTo(e.http, "allowed.test:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if len(got) != len(payload) || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read %d bytes, then %v; want %d bytes, then a reset", len(got), err, len(payload))
	}
}

// TestResponseHeadLimits: an origin's response head is bounded in bytes
// and lines (a head of many tiny fields costs several times its size once
// parsed), and the heads being read at once share one budget.
func TestResponseHeadLimits(t *testing.T) {
	// The origin answers GET /N with N header fields.
	addr := serveLoop(t, "127.0.0.2", func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/"))
		io.WriteString(c, "HTTP/1.1 200 OK\r\n"+strings.Repeat("A: b\r\n", n)+
			"Content-Length: 2\r\nConnection: close\r\n\r\nok")
	})
	_, port, _ := net.SplitHostPort(addr)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}})
	a := "allowed.test:" + port
	for _, c := range []struct {
		fields int
		code   int
	}{{10, 200}, {900, 200}, {5000, http.StatusBadGateway}, {100000, http.StatusBadGateway}} {
		path := "/" + strconv.Itoa(c.fields)
		r := e.raw().do(rawGet("http://"+a+path, a), "GET")
		if r == nil || r.code != c.code {
			t.Errorf("%d header fields: %v, want %d", c.fields, r, c.code)
		}
	}
	// An exchange that answered 502 gives its share back just after.
	for i := 0; i < 100 && responseHeadBytes.Load() != 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if got := responseHeadBytes.Load(); got != 0 {
		t.Errorf("%d bytes of the response-head budget still held after every exchange ended", got)
	}
	n := 0
	for reserveResponseHead() {
		n++
	}
	for range n {
		releaseResponseHead()
	}
	if n != responseHeadsBudget/maxResponseHead {
		t.Errorf("%d heads could be read at once, want %d", n, responseHeadsBudget/maxResponseHead)
	}
}
