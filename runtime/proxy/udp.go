package proxy

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"sync"
)

// Per-association bounds: destinations whose decision is remembered, and
// outbound sockets open at once.
const (
	maxUDPDecisions = 256
	maxUDPOutbound  = 64
)

// maxUDPOutboundTotal bounds the outbound UDP sockets of every association
// together: each holds a descriptor and a 64 KiB reply buffer, and the
// number of associations is bounded only by the connection limit.
const maxUDPOutboundTotal = 1024

// maxUDPAssociations bounds the associations open at once: each holds a
// socket, a 64 KiB buffer and up to maxUDPDecisions remembered decisions
// (about 300 KB filled with long names), and only the connection limit
// bounded their number. Past it, UDP ASSOCIATE gets a general failure.
const maxUDPAssociations = 256

// association is one SOCKS5 UDP ASSOCIATE: a UDP socket for the client,
// living as long as the control connection, and one connected outbound
// socket per checked destination address.
type association struct {
	s      *Server
	ctrl   net.Conn
	pc     *net.UDPConn
	client netip.Addr // only datagrams from the control connection's peer

	decisions map[string]Decision // by destination as the client wrote it
	outs      map[netip.AddrPort]net.Conn
	wg        sync.WaitGroup

	mu       sync.Mutex
	clientAP netip.AddrPort // fixed by the request, or by the first datagram
}

// udpAssociate serves UDP ASSOCIATE. Every datagram is checked by the
// same policy as a CONNECT (decisions are remembered per destination for
// the association's life, so a name is still resolved once); datagrams
// to refused destinations, fragments and datagrams from anyone but the
// client are dropped.
func (s *Server) udpAssociate(c net.Conn, req socksRequest) {
	la, ok1 := c.LocalAddr().(*net.TCPAddr)
	ra, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		// A Unix-socket listener has no address to put a UDP socket
		// beside; the relay refuses UDP under permc run.
		socksReply(c, socksCmdNotSupported, netip.AddrPort{})
		return
	}
	if s.udpAssocs.Add(1) > maxUDPAssociations {
		s.udpAssocs.Add(-1)
		socksReply(c, socksGeneralFailure, netip.AddrPort{})
		return
	}
	defer s.udpAssocs.Add(-1)
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: la.IP})
	if err != nil {
		socksReply(c, socksGeneralFailure, netip.AddrPort{})
		return
	}
	if !s.track(pc) {
		return
	}
	defer s.untrack(pc)
	a := &association{s: s, ctrl: c, pc: pc, client: ra.AddrPort().Addr().Unmap(),
		decisions: map[string]Decision{}, outs: map[netip.AddrPort]net.Conn{}}
	if req.port != 0 {
		a.clientAP = netip.AddrPortFrom(a.client, req.port)
	}
	if err := socksReply(c, socksSucceeded, pc.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		pc.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.serve()
		c.Close()
	}()
	io.Copy(io.Discard, c) // the association ends with the control connection
	pc.Close()
	<-done
	a.closeOuts()
}

// serve reads client datagrams until the socket closes.
func (a *association) serve() {
	buf := make([]byte, 64<<10)
	for {
		n, src, err := a.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if !a.fromClient(src) {
			continue
		}
		a.datagram(buf[:n])
	}
}

// fromClient accepts datagrams from the client's address only; the first
// one fixes the client's port when the request did not.
func (a *association) fromClient(src netip.AddrPort) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if src.Addr() != a.client {
		return false
	}
	if !a.clientAP.IsValid() {
		a.clientAP = src
	}
	return src == a.clientAP
}

// datagram checks and forwards one client datagram.
func (a *association) datagram(b []byte) {
	if len(b) < 4 || b[0] != 0 || b[1] != 0 || b[2] != 0 {
		return // reserved bytes set, or a fragment: dropped
	}
	r := &byteReader{b: b[4:]}
	rawHost, rep := readSOCKSAddr(r, b[3])
	var p [2]byte
	if rep != socksSucceeded || len(r.b) < 2 {
		return
	}
	r.Read(p[:])
	port := binary.BigEndian.Uint16(p[:])
	d := a.decide(b[3], rawHost, port)
	if !d.Allowed() {
		return
	}
	out := a.outbound(netip.AddrPortFrom(d.Addrs[0], port))
	if out != nil {
		out.Write(r.b)
	}
}

// decide remembers each destination's decision for the association.
func (a *association) decide(atyp byte, rawHost string, port uint16) Decision {
	key := string(rune(atyp)) + rawHost + ":" + portString(port)
	if d, ok := a.decisions[key]; ok {
		return d
	}
	d := a.s.decide("socks5-udp", a.ctrl, rawHost, port)
	if len(a.decisions) < maxUDPDecisions {
		a.decisions[key] = d
	}
	return d
}

// outbound returns the connected socket for a checked destination,
// opening it (through the Dialer, to the checked address) on first use.
func (a *association) outbound(dst netip.AddrPort) net.Conn {
	if c, ok := a.outs[dst]; ok {
		return c
	}
	if len(a.outs) >= maxUDPOutbound || a.s.isSelf(dst) {
		return nil
	}
	if a.s.udpOuts.Add(1) > maxUDPOutboundTotal {
		a.s.udpOuts.Add(-1)
		return nil
	}
	ctx, cancel := context.WithTimeout(a.s.ctx, a.s.opts.DialTimeout)
	defer cancel()
	c, err := a.s.opts.Dialer.DialContext(ctx, "udp", dst.String())
	if err != nil || !a.s.track(c) {
		if c != nil {
			c.Close()
		}
		a.s.udpOuts.Add(-1)
		return nil
	}
	a.outs[dst] = c
	a.wg.Add(1)
	go a.replies(c, dst)
	return c
}

// replies wraps each datagram from a destination in a SOCKS5 header and
// sends it to the client.
func (a *association) replies(c net.Conn, from netip.AddrPort) {
	defer a.wg.Done()
	hdr := append([]byte{0, 0, 0}, socksAddr(from)...)
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf[len(hdr):])
		if err != nil {
			return
		}
		copy(buf, hdr)
		a.mu.Lock()
		to := a.clientAP
		a.mu.Unlock()
		a.pc.WriteToUDPAddrPort(buf[:len(hdr)+n], to)
	}
}

func (a *association) closeOuts() {
	for _, c := range a.outs {
		c.Close()
		a.s.untrack(c)
	}
	a.s.udpOuts.Add(-int64(len(a.outs)))
	a.wg.Wait()
}

// byteReader reads from a byte slice, for the address in a datagram.
type byteReader struct{ b []byte }

func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
