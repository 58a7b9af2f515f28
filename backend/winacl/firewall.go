package winacl

import (
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strconv"

	"github.com/permc/permc/ir"
)

// network derives what the firewall rules need from the policy.
func network(p *ir.Policy) (Network, error) {
	o, _ := netOrigin(p)
	n := Network{Mode: p.Net.Mode().String(), Origin: o}
	if p.Net.Mode() != ir.NetProxied {
		return n, nil
	}
	eps, err := endpoints("tcp", p.Net.ProxyURL, "http proxy")
	if err != nil {
		return n, err
	}
	n.Allowed = eps
	if p.Net.EnableSOCKS5 {
		for _, proto := range socksProtocols(&p.Net) {
			eps, err := endpoints(proto, p.Net.SOCKSURL, "socks5 proxy")
			if err != nil {
				return n, err
			}
			n.Allowed = append(n.Allowed, eps...)
		}
	}
	return n, nil
}

func socksProtocols(n *ir.NetPolicy) []string {
	if n.EnableSOCKS5UDP {
		return []string{"tcp", "udp"}
	}
	return []string{"tcp"}
}

// endpoints returns the addresses of a proxy URL: an IP literal, or
// loopback for localhost and for an unspecified address.
func endpoints(proto, raw, why string) ([]Endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s url %q: %w", why, raw, err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("%s url %q has no port", why, raw)
	}
	addrs, err := proxyAddrs(u.Hostname())
	if err != nil {
		return nil, fmt.Errorf("%s url %q: %w", why, raw, err)
	}
	var out []Endpoint
	for _, a := range addrs {
		out = append(out, Endpoint{Protocol: proto, Address: a.String(), Port: port, Why: why})
	}
	return out, nil
}

func proxyAddrs(host string) ([]netip.Addr, error) {
	if host == "localhost" {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return nil, fmt.Errorf("host %q is not an ip address or localhost", host)
	}
	a = a.Unmap().WithZone("")
	if a.IsUnspecified() {
		if a.Is4() {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return []netip.Addr{netip.IPv6Loopback()}, nil
	}
	return []netip.Addr{a}, nil
}

// firewallRules expresses the network mode as block rules for the sandbox
// user. Windows Defender Firewall lets a block rule beat any allow rule,
// so "only the proxy" is written as blocks over everything else: every
// protocol to every other address, then the other ports of each proxy
// address. Inbound is blocked whenever the network is restricted.
func firewallRules(n Network) []FirewallRule {
	rule := func(name, dir, proto string, remote, ports []string) FirewallRule {
		return FirewallRule{Name: name, Direction: dir, Action: "block", Protocol: proto,
			Remote: remote, Ports: ports, LocalUser: PhSandboxUser, Origin: n.Origin}
	}
	switch n.Mode {
	case "off":
		return []FirewallRule{rule("out-all", "out", "any", nil, nil),
			rule("in-all", "in", "any", nil, nil)}
	case "full":
		return nil
	}
	out := []FirewallRule{rule("out-other-addresses", "out", "any", addressComplement(n.Allowed), nil)}
	for _, a := range allowedAddrs(n.Allowed) {
		for _, proto := range []string{"tcp", "udp"} {
			ports := portComplement(n.Allowed, proto, a)
			if ports == nil {
				continue
			}
			out = append(out, rule("out-"+proto+"-"+a, "out", proto, []string{a}, ports))
		}
	}
	return append(out, rule("in-all", "in", "any", nil, nil))
}

func allowedAddrs(eps []Endpoint) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range eps {
		if !seen[e.Address] {
			seen[e.Address] = true
			out = append(out, e.Address)
		}
	}
	sort.Strings(out)
	return out
}

// addressComplement returns the ranges of every address, IPv4 and IPv6,
// except the allowed ones.
func addressComplement(eps []Endpoint) []string {
	var v4, v6 []netip.Addr
	for _, s := range allowedAddrs(eps) {
		a := netip.MustParseAddr(s)
		if a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	out := gaps(v4, netip.IPv4Unspecified(), netip.MustParseAddr("255.255.255.255"))
	return append(out, gaps(v6, netip.IPv6Unspecified(),
		netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))...)
}

// gaps returns the ranges of [lo, hi] not in the sorted addresses.
func gaps(addrs []netip.Addr, lo, hi netip.Addr) []string {
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	var out []string
	start, open := lo, true
	for _, a := range addrs {
		if open && start.Less(a) {
			out = append(out, addrRange(start, a.Prev()))
		}
		start, open = a.Next(), a != hi
	}
	if open {
		out = append(out, addrRange(start, hi))
	}
	return out
}

func addrRange(a, b netip.Addr) string {
	if a == b {
		return a.String()
	}
	return a.String() + "-" + b.String()
}

// portComplement returns the ports of addr not allowed for proto; nil
// when every port is allowed, empty ranges never.
func portComplement(eps []Endpoint, proto, addr string) []string {
	var ports []int
	for _, e := range eps {
		if e.Protocol == proto && e.Address == addr {
			ports = append(ports, e.Port)
		}
	}
	sort.Ints(ports)
	var out []string
	next := 1
	for _, p := range ports {
		if p > next {
			out = append(out, portRange(next, p-1))
		}
		next = max(next, p+1)
	}
	if next <= 65535 {
		out = append(out, portRange(next, 65535))
	}
	return out
}

func portRange(a, b int) string {
	if a == b {
		return strconv.Itoa(a)
	}
	return strconv.Itoa(a) + "-" + strconv.Itoa(b)
}

// Network notes: traffic that per-user firewall rules cannot stop.
const (
	noteDNS = "name lookups go through the dns client service, which runs as network service: " +
		"per-user firewall rules cannot stop dns queries, so data can leave in names"
	noteSMB = "unc paths are served by the kernel smb redirector as system: per-user firewall " +
		"rules cannot stop smb traffic to a server the sandbox names"
	noteLoopback = "windows firewall rules do not filter loopback traffic: the sandbox reaches " +
		"every service listening on 127.0.0.1 and ::1, not only the proxy"
)

// networkNotes are the findings of network paths the firewall cannot
// close, for a mode that restricts the network at all.
func networkNotes(p *ir.Policy, mode ir.Mode, model Model) []Finding {
	net := p.Net.Mode()
	if mode != ir.ModeElevated || net == ir.NetFull {
		return nil
	}
	o, of := netOrigin(p)
	note := func(feat, msg string) Finding {
		return Finding{Feature: feat, Support: "note", Message: msg, Origin: o, OfRule: of}
	}
	out := []Finding{note("dns-client", noteDNS), note("smb-redirector", noteSMB)}
	if model == ModelSandboxUser || net == ir.NetProxied {
		out = append(out, note("loopback", noteLoopback))
	}
	return out
}
