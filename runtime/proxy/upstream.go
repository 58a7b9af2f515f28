package proxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// upstream is the proxy the environment names for outbound traffic. The
// permc proxy always checks a destination first, then asks the upstream
// for a tunnel to the checked IP literal (HTTP CONNECT or SOCKS5 with an
// address, never a name), so the upstream cannot resolve the name to
// something else. Only the upstream's own address skips the guard.
type upstream struct {
	proxyFunc func(*url.URL) (*url.URL, error)
}

// firstEnv returns the first non-empty variable of names.
func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// newUpstream reads the proxy variables. ALL_PROXY stands in for a missing
// HTTP_PROXY or HTTPS_PROXY; NO_PROXY applies as Go and curl read it, and
// loopback destinations never go upstream.
func newUpstream(getenv func(string) string) (*upstream, error) {
	cfg := httpproxy.Config{
		HTTPProxy:  firstEnv(getenv, "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"),
		HTTPSProxy: firstEnv(getenv, "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"),
		NoProxy:    firstEnv(getenv, "NO_PROXY", "no_proxy"),
	}
	if cfg.HTTPProxy == "" && cfg.HTTPSProxy == "" {
		return nil, nil
	}
	for _, raw := range []string{cfg.HTTPProxy, cfg.HTTPSProxy} {
		if raw == "" {
			continue
		}
		if _, err := parseUpstream(raw); err != nil {
			return nil, err
		}
	}
	return &upstream{proxyFunc: cfg.ProxyFunc()}, nil
}

// parseUpstream checks one proxy variable's value. Its errors never
// quote the value, which may hold a credential.
func parseUpstream(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if !strings.Contains(raw, "://") && (err != nil || u.Scheme == "" || u.Host == "") {
		u, err = url.Parse("http://" + raw) // host:port, as curl takes it
	}
	if err != nil || u.Host == "" {
		return nil, errors.New("proxy: the upstream proxy the environment names is not a url")
	}
	switch u.Scheme {
	case "http", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy: upstream proxy %s: scheme %q is not supported "+
			"(use http, socks5 or socks5h)", hostOnly(u), clip(u.Scheme))
	}
	return u, nil
}

// hostOnly names an upstream proxy in messages: scheme and host, without
// the user information (url.URL.Redacted hides only a password; a token
// is often the user name). Messages about the upstream reach the
// sandboxed client in a 502's body, and the host's logs.
func hostOnly(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// proxyFor returns the upstream for a checked destination, or nil to go
// direct. scheme is "http" for plain requests and "https" for tunnels.
func (u *upstream) proxyFor(scheme, h string, port uint16) *url.URL {
	if u == nil {
		return nil
	}
	authority := net.JoinHostPort(h, strconv.Itoa(int(port)))
	p, err := u.proxyFunc(&url.URL{Scheme: scheme, Host: authority})
	if err != nil || p == nil {
		return nil
	}
	return p
}

// dial opens a tunnel through the upstream to the first checked address
// it accepts.
func (u *upstream) dial(ctx context.Context, s *Server, p *url.URL, d *Decision) (net.Conn, []byte, error) {
	var err error
	for _, a := range d.Addrs {
		var c net.Conn
		var rest []byte
		c, rest, err = u.tunnel(ctx, s, p, netip.AddrPortFrom(a, d.Port))
		if err == nil {
			return c, rest, nil
		}
	}
	return nil, nil, err
}

// tunnel connects to the upstream (resolving its name once, without the
// guard: it is the configured exception) and asks it for target.
func (u *upstream) tunnel(ctx context.Context, s *Server, p *url.URL, target netip.AddrPort) (net.Conn, []byte, error) {
	addr, err := upstreamAddr(ctx, s.opts.Resolver, p)
	if err != nil {
		return nil, nil, err
	}
	if s.isSelf(addr) {
		return nil, nil, fmt.Errorf("upstream proxy %s is this proxy: %w", hostOnly(p), errSelf)
	}
	c, err := s.opts.Dialer.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return nil, nil, fmt.Errorf("upstream proxy %s: %w", hostOnly(p), err)
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	var rest []byte
	if p.Scheme == "http" {
		rest, err = connectHTTP(c, p, target)
	} else {
		err = connectSOCKS5(c, p, target)
	}
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("upstream proxy %s: %w", hostOnly(p), err)
	}
	c.SetDeadline(time.Time{})
	return c, rest, nil
}

// upstreamAddr is the upstream proxy's address, looked up once.
func upstreamAddr(ctx context.Context, r Resolver, p *url.URL) (netip.AddrPort, error) {
	port := p.Port()
	if port == "" {
		port = map[string]string{"http": "80", "socks5": "1080", "socks5h": "1080"}[p.Scheme]
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return netip.AddrPort{}, fmt.Errorf("upstream proxy %s: bad port %q", hostOnly(p), port)
	}
	if a, err := netip.ParseAddr(p.Hostname()); err == nil {
		return netip.AddrPortFrom(a.Unmap(), uint16(n)), nil
	}
	addrs, err := r.LookupNetIP(ctx, "ip", p.Hostname())
	if err != nil || len(addrs) == 0 {
		return netip.AddrPort{}, fmt.Errorf("upstream proxy %s: lookup failed: %v", hostOnly(p), err)
	}
	return netip.AddrPortFrom(addrs[0].Unmap(), uint16(n)), nil
}

// connectHTTP asks an HTTP proxy for a CONNECT tunnel. It returns any
// bytes read past the proxy's reply.
func connectHTTP(c net.Conn, p *url.URL, target netip.AddrPort) ([]byte, error) {
	req := "CONNECT " + target.String() + " HTTP/1.1\r\nHost: " + target.String() + "\r\n"
	if p.User != nil {
		pw, _ := p.User.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(p.User.Username() + ":" + pw))
		req += "Proxy-Authorization: Basic " + cred + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return nil, err
	}
	br := bufio.NewReader(io.LimitReader(c, 64<<10))
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("CONNECT %s: %s", target, resp.Status)
	}
	rest, _ := br.Peek(br.Buffered())
	return rest, nil
}

// connectSOCKS5 asks a SOCKS5 proxy for a tunnel to an address (no name:
// the upstream never resolves), with user/password authentication when
// the URL carries it.
func connectSOCKS5(c net.Conn, p *url.URL, target netip.AddrPort) error {
	methods := []byte{socksNoAuth}
	if p.User != nil {
		methods = []byte{socksUserPass}
	}
	hello := append([]byte{socksVersion, byte(len(methods))}, methods...)
	if _, err := c.Write(hello); err != nil {
		return err
	}
	var sel [2]byte
	if _, err := io.ReadFull(c, sel[:]); err != nil {
		return err
	}
	switch {
	case sel[0] != socksVersion:
		return errors.New("not a socks5 proxy")
	case sel[1] == socksUserPass && p.User != nil:
		if err := socksLogin(c, p.User); err != nil {
			return err
		}
	case sel[1] != socksNoAuth:
		return fmt.Errorf("no acceptable authentication method (%#x)", sel[1])
	}
	req := append([]byte{socksVersion, socksConnect, 0}, socksAddr(target)...)
	if _, err := c.Write(req); err != nil {
		return err
	}
	rep, _, err := readSOCKSReply(c)
	if err != nil {
		return err
	}
	if rep != socksSucceeded {
		return fmt.Errorf("socks5 reply %#x (%s)", rep, socksReplyText(rep))
	}
	return nil
}

// socksLogin is RFC 1929 username/password authentication.
func socksLogin(c net.Conn, user *url.Userinfo) error {
	pw, _ := user.Password()
	name := user.Username()
	if len(name) > 255 || len(pw) > 255 {
		return errors.New("socks5 username or password longer than 255 bytes")
	}
	msg := append([]byte{1, byte(len(name))}, name...)
	msg = append(append(msg, byte(len(pw))), pw...)
	if _, err := c.Write(msg); err != nil {
		return err
	}
	var st [2]byte
	if _, err := io.ReadFull(c, st[:]); err != nil {
		return err
	}
	if st[1] != 0 {
		return errors.New("socks5 authentication failed")
	}
	return nil
}

// readSOCKSReply reads a SOCKS5 reply and its bound address (invalid
// when the server sent a name).
func readSOCKSReply(c io.Reader) (byte, netip.AddrPort, error) {
	var h [4]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return 0, netip.AddrPort{}, err
	}
	if h[0] != socksVersion {
		return 0, netip.AddrPort{}, errors.New("bad socks5 reply")
	}
	var n int
	switch h[3] {
	case atypIPv4:
		n = 4
	case atypIPv6:
		n = 16
	case atypDomain:
		var l [1]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return 0, netip.AddrPort{}, err
		}
		n = int(l[0])
	default:
		return 0, netip.AddrPort{}, errors.New("bad socks5 reply address type")
	}
	b := make([]byte, n+2)
	if _, err := io.ReadFull(c, b); err != nil {
		return 0, netip.AddrPort{}, err
	}
	var bound netip.AddrPort
	if h[3] != atypDomain {
		a, _ := netip.AddrFromSlice(b[:n])
		bound = netip.AddrPortFrom(a, binary.BigEndian.Uint16(b[n:]))
	}
	return h[1], bound, nil
}

// socksAddr encodes an address as SOCKS5 ATYP, address and port.
func socksAddr(ap netip.AddrPort) []byte {
	a := ap.Addr().Unmap()
	var b []byte
	if a.Is4() {
		v := a.As4()
		b = append([]byte{atypIPv4}, v[:]...)
	} else {
		v := a.As16()
		b = append([]byte{atypIPv6}, v[:]...)
	}
	return binary.BigEndian.AppendUint16(b, ap.Port())
}
