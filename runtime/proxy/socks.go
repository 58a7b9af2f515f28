package proxy

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// SOCKS5 protocol numbers (RFC 1928).
const (
	socksVersion  = 5
	socksNoAuth   = 0x00
	socksUserPass = 0x02
	socksNoMethod = 0xff

	socksConnect      = 0x01
	socksBind         = 0x02
	socksUDPAssociate = 0x03

	atypIPv4   = 0x01
	atypDomain = 0x03
	atypIPv6   = 0x04

	socksSucceeded        = 0x00
	socksGeneralFailure   = 0x01
	socksNotAllowed       = 0x02 // "connection not allowed by ruleset"
	socksNetUnreachable   = 0x03
	socksHostUnreachable  = 0x04
	socksConnRefused      = 0x05
	socksTTLExpired       = 0x06
	socksCmdNotSupported  = 0x07
	socksAddrNotSupported = 0x08
)

var socksReplies = map[byte]string{
	socksSucceeded: "succeeded", socksGeneralFailure: "general failure",
	socksNotAllowed: "connection not allowed by ruleset", socksNetUnreachable: "network unreachable",
	socksHostUnreachable: "host unreachable", socksConnRefused: "connection refused",
	socksTTLExpired: "ttl expired", socksCmdNotSupported: "command not supported",
	socksAddrNotSupported: "address type not supported",
}

func socksReplyText(rep byte) string {
	if t, ok := socksReplies[rep]; ok {
		return t
	}
	return "unknown"
}

// socksRequest is a parsed SOCKS5 request.
type socksRequest struct {
	cmd     byte
	rawHost string // a domain as sent, or an address in text
	port    uint16
}

// handleSOCKS serves one SOCKS5 client: no-auth negotiation, then one
// CONNECT (a tunnel) or UDP ASSOCIATE (datagrams, each checked).
func (s *Server) handleSOCKS(c net.Conn) {
	c.SetDeadline(time.Now().Add(s.opts.HeaderTimeout))
	if !s.socksNegotiate(c) {
		return
	}
	req, rep := readSOCKSRequest(c)
	if rep != socksSucceeded {
		socksReply(c, rep, netip.AddrPort{})
		return
	}
	// The handshake is done; the lookup and dial have their own timeout,
	// and the reply gets a write deadline of its own.
	c.SetDeadline(time.Time{})
	switch {
	case req.cmd == socksConnect:
		s.socksConnect(c, req)
	case req.cmd == socksUDPAssociate && s.udp:
		s.udpAssociate(c, req)
	default:
		socksReply(c, socksCmdNotSupported, netip.AddrPort{})
	}
}

// socksNegotiate reads the greeting and selects "no authentication", the
// only method served: the proxy is reachable only by the sandbox.
func (s *Server) socksNegotiate(c net.Conn) bool {
	var h [2]byte
	if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != socksVersion {
		return false
	}
	methods := make([]byte, h[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return false
	}
	for _, m := range methods {
		if m == socksNoAuth {
			_, err := c.Write([]byte{socksVersion, socksNoAuth})
			return err == nil
		}
	}
	c.Write([]byte{socksVersion, socksNoMethod})
	return false
}

// readSOCKSRequest reads a request; a reply code other than success says
// why it cannot be served.
func readSOCKSRequest(c io.Reader) (socksRequest, byte) {
	var h [4]byte
	if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != socksVersion {
		return socksRequest{}, socksGeneralFailure
	}
	req := socksRequest{cmd: h[1]}
	host, rep := readSOCKSAddr(c, h[3])
	if rep != socksSucceeded {
		return req, rep
	}
	var p [2]byte
	if _, err := io.ReadFull(c, p[:]); err != nil {
		return req, socksGeneralFailure
	}
	req.rawHost, req.port = host, binary.BigEndian.Uint16(p[:])
	return req, socksSucceeded
}

// readSOCKSAddr reads DST.ADDR of the given type as text for the policy:
// a domain exactly as sent (the policy canonicalises it), an address in
// its usual form.
func readSOCKSAddr(c io.Reader, atyp byte) (string, byte) {
	switch atyp {
	case atypIPv4, atypIPv6:
		b := make([]byte, 4)
		if atyp == atypIPv6 {
			b = make([]byte, 16)
		}
		if _, err := io.ReadFull(c, b); err != nil {
			return "", socksGeneralFailure
		}
		a, _ := netip.AddrFromSlice(b)
		return a.String(), socksSucceeded
	case atypDomain:
		var l [1]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return "", socksGeneralFailure
		}
		b := make([]byte, l[0])
		if _, err := io.ReadFull(c, b); err != nil {
			return "", socksGeneralFailure
		}
		return string(b), socksSucceeded
	}
	return "", socksAddrNotSupported
}

// socksReply writes a reply with a bound address (0.0.0.0:0 when none).
func socksReply(c net.Conn, rep byte, bound netip.AddrPort) error {
	if !bound.IsValid() {
		bound = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	}
	msg := append([]byte{socksVersion, rep, 0}, socksAddr(bound)...)
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Write(msg)
	c.SetWriteDeadline(time.Time{})
	return err
}

// socksConnect checks the destination, dials the checked address and
// splices.
func (s *Server) socksConnect(c net.Conn, req socksRequest) {
	d := s.check(req.rawHost, req.port)
	dl := &decisionLog{s: s, proto: "socks5", client: c, rawHost: req.rawHost, d: &d}
	defer dl.log()
	if !d.Allowed() {
		dl.log()
		rep := byte(socksNotAllowed)
		if d.Reason == ReasonLookupFailed {
			rep = socksHostUnreachable
		}
		socksReply(c, rep, netip.AddrPort{})
		return
	}
	up, rest, err := s.dial(&d, "https")
	if err != nil {
		dl.log()
		socksReply(c, dialReply(err), netip.AddrPort{})
		return
	}
	if !s.track(up) {
		return
	}
	defer s.untrack(up)
	var bound netip.AddrPort
	if a, ok := up.LocalAddr().(*net.TCPAddr); ok {
		bound = a.AddrPort()
	}
	TuneUnixConn(c)
	if err := socksReply(c, socksSucceeded, bound); err != nil {
		up.Close()
		return
	}
	if len(rest) > 0 {
		if _, err := c.Write(rest); err != nil {
			up.Close()
			return
		}
	}
	splice(c, up, dl.log)
}

// dialReply maps a dial error to a SOCKS5 reply.
func dialReply(err error) byte {
	switch {
	case errors.Is(err, errSelf):
		return socksNotAllowed
	case errors.Is(err, syscall.ECONNREFUSED):
		return socksConnRefused
	case errors.Is(err, syscall.ENETUNREACH):
		return socksNetUnreachable
	case isTimeout(err):
		return socksTTLExpired
	}
	return socksHostUnreachable
}

// portString is a port as text.
func portString(p uint16) string { return strconv.Itoa(int(p)) }
