package passes

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/ir/host"
)

func (n *normalizer) network(d *ir.NetworkDecl) {
	p := n.p
	p.netPresent = true
	p.net = netSettings{
		enabled: d.Enabled, socks5: d.EnableSOCKS5, socks5UDP: d.EnableSOCKS5UDP,
		upstream: d.AllowUpstreamProxy, localBinding: d.AllowLocalBinding,
		nonLoopback: d.DangerouslyAllowNonLoopbackProxy, allUnix: d.DangerouslyAllowAllUnixSockets,
		proxyURL: n.url(d.ProxyURL, "proxy_url"), socksURL: n.url(d.SOCKSURL, "socks_url"),
	}
	if d.Domains != nil {
		p.hasDomains = true
		p.domainsPos = d.Domains.Pos
		for _, kv := range d.Domains.Entries {
			n.domain(kv)
		}
	}
	if d.UnixSockets != nil {
		for _, kv := range d.UnixSockets.Entries {
			n.socket(kv)
		}
	}
}

// keyCol is the position inside a quoted key at byte offset off.
func keyCol(kv ir.KV, off int) diag.Pos {
	p := kv.KeyPos
	if p.Line > 0 {
		p.Col += 1 + off
		p.Offset += 1 + off
	}
	return p
}

func allowValue(s string) (bool, bool) {
	switch s {
	case "allow":
		return true, true
	case "deny":
		return false, true
	}
	return false, false
}

func (n *normalizer) domain(kv ir.KV) {
	allow, ok := allowValue(kv.Value)
	if !ok {
		d := n.s.diags.Errorf(kv.Pos, diag.BadNetValue, "domain value %q is not \"allow\" or \"deny\"", kv.Value)
		if s := diag.Closest(kv.Value, []string{"allow", "deny"}); s != "" {
			d.Message += "; did you mean \"" + s + "\"?"
		}
		return
	}
	pat, err := host.ParsePattern(kv.Key)
	if err != nil {
		var he *host.Error
		pos := kv.KeyPos
		if errors.As(err, &he) {
			pos = keyCol(kv, he.Offset)
		}
		n.s.diags.Errorf(pos, diag.BadHost, "domain pattern %q: %v", kv.Key, err)
		return
	}
	if hasPort(kv.Key) {
		n.s.diags.Warnf(kv.KeyPos, diag.Ineffective,
			"the port in domain pattern %q is ignored: the rule applies to every port of %s", kv.Key, pat)
	}
	if pat.Kind == host.Any && !allow {
		n.s.diags.Errorf(kv.KeyPos, diag.WildcardDeny,
			"\"*\" may only be allowed; a deny of \"*\" would make every allow entry unreachable "+
				"(with no allow entry, every domain is blocked already)")
		return
	}
	r := ir.DomainRule{Pattern: pat.String(), Kind: domainKind(pat.Kind), Host: pat.Host,
		Allow: allow, Origin: n.origin(kv.KeyPos)}
	if old, ok := n.p.domains.get(r.Pattern); ok && !old.Allow {
		return // deny wins between two spellings of one pattern
	}
	n.p.domains.set(r.Pattern, r)
}

// hasPort reports whether a pattern names a port: "host:443", "[::1]:80".
func hasPort(k string) bool {
	k = strings.TrimSpace(k)
	if i := strings.LastIndex(k, "]"); i >= 0 {
		return strings.HasPrefix(k[i+1:], ":")
	}
	return strings.Count(k, ":") == 1
}

func domainKind(k host.Kind) ir.DomainKind {
	switch k {
	case host.Sub:
		return ir.DomainSub
	case host.ApexSub:
		return ir.DomainApexSub
	case host.Any:
		return ir.DomainAny
	}
	return ir.DomainExact
}

func (n *normalizer) socket(kv ir.KV) {
	allow, ok := allowValue(kv.Value)
	if !ok {
		n.s.diags.Errorf(kv.Pos, diag.BadNetValue, "unix socket value %q is not \"allow\" or \"deny\"", kv.Value)
		return
	}
	if !ir.IsPosixAbs(kv.Key) {
		n.s.diags.Errorf(kv.KeyPos, diag.BadSocket, "unix socket path %q must be absolute", kv.Key)
		return
	}
	if hasDotDot(kv.Key, "/") {
		n.s.diags.Errorf(kv.KeyPos, diag.BadSocket,
			"unix socket path %q must not contain \"..\" components", kv.Key)
		return
	}
	if ir.HasGlobMeta(kv.Key) {
		n.s.diags.Errorf(kv.KeyPos, diag.BadSocket, "unix socket path %q: socket paths are literal, "+
			"globs are not supported; list each socket", kv.Key)
		return
	}
	path, _ := ir.CleanPath(ir.Linux, kv.Key)
	r := ir.UnixSocketRule{Path: path, Allow: allow, Origin: n.origin(kv.KeyPos)}
	if old, ok := n.p.sockets.get(path); ok && !old.Allow {
		return
	}
	n.p.sockets.set(path, r)
}

// url validates a listener URL's shape; loopback is checked once the
// dangerous opt-in is known (finish).
func (n *normalizer) url(s *ir.String, key string) *ir.String {
	if s == nil {
		return nil
	}
	if _, err := ListenAddr(s.Value); err != nil {
		n.s.diags.Errorf(s.Pos, diag.BadURL, "%s %q: %v", key, s.Value, err)
		return nil
	}
	return s
}

// ListenAddr parses a proxy listener URL into host:port.
func ListenAddr(raw string) (netip.AddrPort, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return netip.AddrPort{}, errors.New("not a URL")
	}
	switch u.Scheme {
	case "http", "socks5", "socks5h":
	default:
		return netip.AddrPort{}, errors.New("scheme must be http, socks5 or socks5h")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return netip.AddrPort{}, errors.New("must be scheme://host:port with nothing else")
	}
	h, p, err := net.SplitHostPort(u.Host)
	if err != nil {
		return netip.AddrPort{}, errors.New("must name a host and a port")
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, errors.New("port must be a number from 1 to 65535")
	}
	if strings.EqualFold(h, "localhost") {
		h = "127.0.0.1"
	}
	addr, err := netip.ParseAddr(h)
	if err != nil {
		return netip.AddrPort{}, errors.New("host must be an IP address or localhost")
	}
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}
