package proxy

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// socksDomain is a CONNECT request for a domain, as a client writes it.
func socksDomain(name string, port uint16) []byte {
	b := append([]byte{socksVersion, socksConnect, 0, atypDomain, byte(len(name))}, name...)
	return binary.BigEndian.AppendUint16(b, port)
}

// socksIP is a CONNECT request for an address.
func socksIP(addr string, port uint16) []byte {
	return append([]byte{socksVersion, socksConnect, 0}, socksAddr(netip.AddrPortFrom(netip.MustParseAddr(addr), port))...)
}

// socksOpen negotiates no-auth and sends req; it returns the reply code
// and the connection, open on success.
func socksOpen(t testing.TB, proxy string, req []byte) (byte, net.Conn) {
	rep, c, _ := socksOpenBound(t, proxy, req)
	return rep, c
}

// socksOpenBound is socksOpen with the bound address of the reply.
func socksOpenBound(t testing.TB, proxy string, req []byte) (byte, net.Conn, netip.AddrPort) {
	t.Helper()
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte{socksVersion, 1, socksNoAuth})
	var sel [2]byte
	if _, err := io.ReadFull(c, sel[:]); err != nil || sel[1] != socksNoAuth {
		c.Close()
		t.Fatalf("negotiation: %v %v", sel, err)
	}
	c.Write(req)
	rep, bound, err := readSOCKSReply(c)
	if err != nil {
		c.Close()
		t.Fatalf("reply: %v", err)
	}
	if rep != socksSucceeded {
		c.Close()
		return rep, nil, bound
	}
	c.SetDeadline(time.Time{})
	t.Cleanup(func() { c.Close() })
	return rep, c, bound
}

// socksDial returns the reply code of a request.
func socksDial(t testing.TB, proxy string, req []byte) byte {
	rep, c := socksOpen(t, proxy, req)
	if c != nil {
		c.Close()
	}
	return rep
}

// TestSOCKS5Connect: domains, IPv4 and IPv6 addresses go through the one
// policy; refusals get "not allowed by ruleset" before any dial.
func TestSOCKS5Connect(t *testing.T) {
	o1 := newOrigin(t, "127.0.0.1", false)
	o2 := newOrigin(t, "127.0.0.2", false)
	o6 := newOrigin(t, "::1", false)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow", "127.0.0.1=allow", "[::1]=allow",
		"denied.test=deny", "gone.test=allow"}})
	p1, p2, p6 := uint16(o1.port), uint16(o2.port), uint16(o6.port)
	ok := []struct {
		name string
		req  []byte
		host string
	}{
		{"domain", socksDomain("allowed.test", p2), "allowed.test"},
		{"domain spelled", socksDomain("Allowed.TEST.", p2), "allowed.test"},
		{"ipv4", socksIP("127.0.0.1", p1), "127.0.0.1"},
		{"ipv6", socksIP("::1", p6), "[::1]"},
		{"mapped ipv6", socksIP("::ffff:127.0.0.1", p1), "127.0.0.1"},
		{"numeric domain", socksDomain("2130706433", p1), "127.0.0.1"},
	}
	for _, c := range ok {
		rep, conn := socksOpen(t, e.socks, c.req)
		if rep != socksSucceeded {
			t.Errorf("%s: reply %#x (%s)", c.name, rep, socksReplyText(rep))
			continue
		}
		io.WriteString(conn, "GET /socks HTTP/1.1\r\nHost: "+c.host+"\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: %v %v", c.name, resp, err)
		}
	}
	refused := []struct {
		name string
		req  []byte
		rep  byte
	}{
		{"denied", socksDomain("denied.test", p2), socksNotAllowed},
		{"not allowlisted", socksDomain("other.test", p2), socksNotAllowed},
		{"guarded ipv4", socksIP("127.0.0.2", p2), socksNotAllowed},
		{"guarded ipv6", socksIP("fd00::1", 80), socksNotAllowed},
		{"metadata", socksIP("169.254.169.254", 80), socksNotAllowed},
		{"metadata mapped", socksIP("::ffff:169.254.169.254", 80), socksNotAllowed},
		{"localhost", socksDomain("localhost", p1), socksNotAllowed},
		{"bad name", socksDomain("a..b", 80), socksNotAllowed},
		{"port zero", socksDomain("allowed.test", 0), socksNotAllowed},
		{"lookup fails", socksDomain("gone.test", 80), socksHostUnreachable},
		{"atyp", []byte{socksVersion, socksConnect, 0, 9, 1, 2, 3, 4, 0, 80}, socksAddrNotSupported},
		{"bind", []byte{socksVersion, socksBind, 0, atypIPv4, 127, 0, 0, 1, 0, 80}, socksCmdNotSupported},
		{"udp off", []byte{socksVersion, socksUDPAssociate, 0, atypIPv4, 0, 0, 0, 0, 0, 0}, socksCmdNotSupported},
	}
	e.dialer.reset()
	for _, c := range refused {
		if rep := socksDial(t, e.socks, c.req); rep != c.rep {
			t.Errorf("%s: reply %#x (%s), want %#x", c.name, rep, socksReplyText(rep), c.rep)
		}
	}
	if d := e.dialer.list(); len(d) != 0 {
		t.Errorf("refused requests dialed %v", d)
	}

	// Only "no authentication" is offered.
	c, _ := net.Dial("tcp", e.socks)
	defer c.Close()
	c.Write([]byte{socksVersion, 1, socksUserPass})
	var sel [2]byte
	if _, err := io.ReadFull(c, sel[:]); err != nil || sel[1] != socksNoMethod {
		t.Errorf("user/pass only: %v %v, want no acceptable method", sel, err)
	}
}

// udpEcho echoes datagrams on a loopback address.
func udpEcho(t testing.TB, ip string) *net.UDPConn {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, a, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			pc.WriteToUDPAddrPort(append([]byte("echo:"), buf[:n]...), a)
		}
	}()
	return pc
}

// udpDatagram is a SOCKS5 UDP request header for a domain, then payload.
func udpDatagram(frag byte, name string, port uint16, payload string) []byte {
	b := append([]byte{0, 0, frag, atypDomain, byte(len(name))}, name...)
	b = binary.BigEndian.AppendUint16(b, port)
	return append(b, payload...)
}

// TestSOCKS5UDP: UDP ASSOCIATE checks every datagram with the same policy,
// drops refused, fragmented and foreign datagrams, and ends with its
// control connection.
func TestSOCKS5UDP(t *testing.T) {
	echo := udpEcho(t, "127.0.0.2")
	eport := uint16(echo.LocalAddr().(*net.UDPAddr).Port)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow", "denied.test=deny", "*.test=allow"}, udp: true})
	rep, ctrl, bound := socksOpenBound(t, e.socks, []byte{socksVersion, socksUDPAssociate, 0, atypIPv4, 0, 0, 0, 0, 0, 0})
	if rep != socksSucceeded || !bound.Addr().IsLoopback() || bound.Port() == 0 {
		t.Fatalf("udp associate: reply %#x bound %v", rep, bound)
	}

	cl, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	send := func(c *net.UDPConn, b []byte) {
		if _, err := c.WriteToUDPAddrPort(b, bound); err != nil {
			t.Fatal(err)
		}
	}
	recv := func(c *net.UDPConn, wait time.Duration) (string, bool) {
		buf := make([]byte, 2048)
		c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(buf)
		if err != nil {
			return "", false
		}
		return string(buf[:n]), true
	}

	send(cl, udpDatagram(0, "allowed.test", eport, "ping"))
	got, ok := recv(cl, 5*time.Second)
	want := string(append([]byte{0, 0, 0}, socksAddr(netip.AddrPortFrom(publicAddr, eport))...)) + "echo:ping"
	if !ok || got != want {
		t.Fatalf("allowed datagram: %q %v, want %q", got, ok, want)
	}
	for name, b := range map[string][]byte{
		"denied":   udpDatagram(0, "denied.test", eport, "x"),
		"guarded":  udpDatagram(0, "evil.test", eport, "x"),
		"literal":  udpDatagram(0, "127.0.0.2", eport, "x"),
		"fragment": udpDatagram(1, "allowed.test", eport, "x"),
		"short":    {0, 0},
	} {
		send(cl, b)
		if got, ok := recv(cl, 200*time.Millisecond); ok {
			t.Errorf("%s datagram answered: %q", name, got)
		}
	}
	other, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer other.Close()
	send(other, udpDatagram(0, "allowed.test", eport, "foreign"))
	if got, ok := recv(other, 200*time.Millisecond); ok {
		t.Errorf("a datagram from another port was answered: %q", got)
	}
	send(cl, udpDatagram(0, "allowed.test", eport, "again"))
	if got, ok := recv(cl, 5*time.Second); !ok || !strings.HasSuffix(got, "echo:again") {
		t.Errorf("second datagram: %q %v", got, ok)
	}
	for _, d := range e.dialer.list() {
		if d != "udp 1.2.3.4:"+strconv.Itoa(int(eport)) {
			t.Errorf("dialed %s", d)
		}
	}
	if n := e.res.count("allowed.test"); n != 1 {
		t.Errorf("allowed.test looked up %d times in one association", n)
	}

	// The association ends with its control connection.
	ctrl.Close()
	time.Sleep(100 * time.Millisecond)
	send(cl, udpDatagram(0, "allowed.test", eport, "late"))
	if got, ok := recv(cl, 200*time.Millisecond); ok {
		t.Errorf("answered after the association ended: %q", got)
	}
}

// All UDP associations together open at most maxUDPOutboundTotal
// outbound sockets: past it a datagram to a new destination is dropped,
// and an association gives its sockets back when it ends.
func TestSOCKS5UDPOutboundTotal(t *testing.T) {
	echo := udpEcho(t, "127.0.0.2")
	eport := uint16(echo.LocalAddr().(*net.UDPAddr).Port)
	e := newEnv(t, envConfig{rules: []string{"*.test=allow"}, udp: true})
	e.srv.udpOuts.Store(maxUDPOutboundTotal) // as if every other association held its share
	rep, ctrl, bound := socksOpenBound(t, e.socks, []byte{socksVersion, socksUDPAssociate, 0, atypIPv4, 0, 0, 0, 0, 0, 0})
	if rep != socksSucceeded {
		t.Fatalf("udp associate: reply %#x", rep)
	}
	cl, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	exchange := func(payload string, wait time.Duration) bool {
		if _, err := cl.WriteToUDPAddrPort(udpDatagram(0, "allowed.test", eport, payload), bound); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		cl.SetReadDeadline(time.Now().Add(wait))
		n, err := cl.Read(buf)
		return err == nil && strings.HasSuffix(string(buf[:n]), "echo:"+payload)
	}
	if exchange("over", 300*time.Millisecond) {
		t.Error("a datagram was carried past the total of outbound sockets")
	}
	if n := len(e.dialer.list()); n != 0 {
		t.Errorf("%d dials past the total", n)
	}
	e.srv.udpOuts.Store(maxUDPOutboundTotal - 1)
	if !exchange("under", 5*time.Second) {
		t.Fatal("a datagram under the total was not carried")
	}
	ctrl.Close()
	for deadline := time.Now().Add(2 * time.Second); e.srv.udpOuts.Load() != maxUDPOutboundTotal-1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("outbound sockets counted after the association ended: %d, want %d",
				e.srv.udpOuts.Load(), maxUDPOutboundTotal-1)
		}
	}
}

// TestSOCKS5UDPAssociationsTotal: past maxUDPAssociations open at once,
// UDP ASSOCIATE gets a general failure; one ending makes room again.
func TestSOCKS5UDPAssociationsTotal(t *testing.T) {
	e := newEnv(t, envConfig{rules: []string{"*.test=allow"}, udp: true})
	req := []byte{socksVersion, socksUDPAssociate, 0, atypIPv4, 0, 0, 0, 0, 0, 0}
	e.srv.udpAssocs.Store(maxUDPAssociations) // as if the others were all open
	if rep, ctrl, _ := socksOpenBound(t, e.socks, req); rep != socksGeneralFailure {
		ctrl.Close()
		t.Fatalf("association past the total: reply %#x, want a general failure", rep)
	}
	e.srv.udpAssocs.Store(maxUDPAssociations - 1)
	rep, ctrl, _ := socksOpenBound(t, e.socks, req)
	if rep != socksSucceeded {
		t.Fatalf("association under the total: reply %#x", rep)
	}
	ctrl.Close()
	want := int64(maxUDPAssociations - 1)
	for deadline := time.Now().Add(2 * time.Second); e.srv.udpAssocs.Load() != want; {
		if time.Now().After(deadline) {
			t.Fatalf("associations counted after one ended: %d, want %d", e.srv.udpAssocs.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
