package proxy

import (
	"bufio"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/ir"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T, network string) (net.Conn, net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "s")
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		ch <- c
	}()
	a, err := net.Dial(network, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-ch
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestSplice: a client that half-closes after its request still gets the
// answer, over TCP and Unix sockets, and Splice counts the bytes.
func TestSplice(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			client, in := pair(t, network) // client ↔ relay
			out, server := pair(t, "tcp")  // relay ↔ server
			type result struct{ ab, ba int64 }
			done := make(chan result, 1)
			go func() {
				ab, ba, err := Splice(in, out)
				if err != nil {
					t.Errorf("splice: %v", err)
				}
				done <- result{ab, ba}
			}()
			io.WriteString(client, "request")
			client.(closeWriter).CloseWrite()
			got, _ := io.ReadAll(server)
			if string(got) != "request" {
				t.Errorf("server read %q", got)
			}
			io.WriteString(server, "response!")
			server.Close()
			got, _ = io.ReadAll(client)
			if string(got) != "response!" {
				t.Errorf("client read %q", got)
			}
			select {
			case r := <-done:
				if r.ab != 7 || r.ba != 9 {
					t.Errorf("counted %d and %d bytes, want 7 and 9", r.ab, r.ba)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("splice did not end")
			}
		})
	}
}

// TestSpliceReset: an error on one side ends both directions.
func TestSpliceReset(t *testing.T) {
	client, in := pair(t, "tcp")
	out, server := pair(t, "tcp")
	done := make(chan struct{})
	go func() {
		Splice(in, out)
		close(done)
	}()
	client.(*net.TCPConn).SetLinger(0)
	client.Close() // a reset
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("splice did not end after a reset")
	}
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(server); isTimeout(err) {
		t.Error("the other side was left open")
	}
}

// TestUnixListeners: the runtime serves the proxy on Unix sockets; both
// protocols work there, and UDP ASSOCIATE is refused (no UDP beside a
// Unix socket).
func TestUnixListeners(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", false)
	n := testNetwork(t, "allowed.test=allow")
	n.Proxy.SOCKS5UDP = true
	s, err := New(n, Options{Resolver: newResolver(defaultDNS), Dialer: newDialer(t)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hl, err := net.Listen("unix", filepath.Join(dir, "http.sock"))
	if err != nil {
		t.Fatal(err)
	}
	sl, err := net.Listen("unix", filepath.Join(dir, "socks.sock"))
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeHTTPProxy(hl)
	go s.ServeSOCKS5(sl)
	defer s.Close()

	c, err := net.Dial("unix", hl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := "allowed.test:" + o.portStr()
	rc := &rawConn{t: t, c: c, br: bufio.NewReader(c)}
	if r := rc.do(rawGet("http://"+a+"/unix", a), "GET"); r == nil || r.code != 200 {
		t.Errorf("http over unix: %v", r)
	}
	if r := rc.do(rawGet("http://denied.test/", "denied.test"), "GET"); r == nil || r.code != 403 {
		t.Errorf("denied over unix: %v", r)
	}
	if rep := socksDialNet(t, "unix", sl.Addr().String(), socksDomain("allowed.test", uint16(o.port))); rep != socksSucceeded {
		t.Errorf("socks over unix: %#x", rep)
	}
	udp := []byte{socksVersion, socksUDPAssociate, 0, atypIPv4, 0, 0, 0, 0, 0, 0}
	if rep := socksDialNet(t, "unix", sl.Addr().String(), udp); rep != socksCmdNotSupported {
		t.Errorf("udp associate over unix: %#x, want command not supported", rep)
	}
}

// socksDialNet is socksDial on any network.
func socksDialNet(t *testing.T, network, addr string, req []byte) byte {
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte{socksVersion, 1, socksNoAuth})
	var sel [2]byte
	if _, err := io.ReadFull(c, sel[:]); err != nil {
		t.Fatal(err)
	}
	c.Write(req)
	rep, _, err := readSOCKSReply(c)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCloseEndsEverything: Close ends idle, tunnelled and UDP clients
// and leaves no goroutine behind.
func TestCloseEndsEverything(t *testing.T) {
	echo := newEcho(t, "127.0.0.2")
	base := runtime.NumGoroutine()
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}, udp: true})
	var conns []net.Conn
	for range 5 {
		c, err := tunnelTo(e.http, "allowed.test:"+echo.port)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		idle, _ := net.Dial("tcp", e.http)
		conns = append(conns, idle)
		_, ctrl := socksOpen(t, e.socks, []byte{socksVersion, socksUDPAssociate, 0, atypIPv4, 0, 0, 0, 0, 0, 0})
		conns = append(conns, ctrl)
	}
	e.srv.Close()
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(c); isTimeout(err) {
			t.Error("a client connection outlived Close")
		}
		c.Close()
	}
	settleGoroutines(t, base+3) // the serve goroutines of newEnv end in Cleanup
}

// TestListen: `permc proxy` listens on loopback only, unless the profile
// dangerously allows otherwise.
func TestListen(t *testing.T) {
	n := driver.Network{Mode: ir.NetProxied, Proxy: &driver.ProxySettings{HTTP: "http://10.1.2.3:3128"}}
	if _, _, err := Listen(n); err == nil || !strings.Contains(err.Error(), "dangerously_allow_non_loopback_proxy") {
		t.Errorf("non-loopback: %v", err)
	}
	if _, _, err := Listen(driver.Network{Mode: ir.NetFull}); err == nil {
		t.Error("a full-network profile was given listeners")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	n.Proxy.HTTP = "http://localhost:" + port
	hl, sl, err := Listen(n)
	if err != nil {
		t.Fatal(err)
	}
	defer hl.Close()
	if sl != nil || hl.Addr().String() != "127.0.0.1:"+port {
		t.Errorf("listeners %v %v", hl.Addr(), sl)
	}
	if _, err := New(driver.Network{Mode: ir.NetOff}, Options{}); err == nil {
		t.Error("New accepted a profile without network")
	}
}

// TestLogLines: one record per decision, naming the rule and its origin.
func TestLogLines(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", false)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow", "denied.test=deny"}})
	c := goClient("http://"+e.http, nil)
	get(t, c, "http://allowed.test:"+o.portStr()+"/")
	get(t, c, "http://denied.test:"+o.portStr()+"/")
	lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), e.logs)
	}
	for i, want := range []string{
		`msg=allow proto=http client=127.0.0.1:`,
		`msg=refuse proto=http client=127.0.0.1:`,
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d: %s\nwant %s", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[1], `rule=denied.test origin="test.toml:2 (p)"`) {
		t.Errorf("refusal line: %s", lines[1])
	}
}

type nilAddrConn struct{ net.Conn }

func (nilAddrConn) RemoteAddr() net.Addr { return nil }

// A connection without a remote address (a wrapping listener's) is logged
// with an empty client name, not a crash.
func TestClientNameNilAddr(t *testing.T) {
	if got := clientName(nilAddrConn{}); got != "" {
		t.Errorf("clientName = %q, want empty", got)
	}
}
