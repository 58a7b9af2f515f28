package review

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/ir/host"
	"github.com/permc/permc/passes"
)

// HostQuery asks about one destination.
type HostQuery struct {
	Host    string // HOST or HOST:PORT, in any spelling a client may use
	Targets []ir.Target
}

// DomainRule is one network.domains entry, with where it was written.
type DomainRule struct {
	Pattern string `json:"pattern"`
	Allow   bool   `json:"allow"`
	At      string `json:"at"`
	Profile string `json:"profile,omitempty"`
}

// String renders the entry as written.
func (r DomainRule) String() string {
	eff := "deny"
	if r.Allow {
		eff = "allow"
	}
	return fmt.Sprintf("%q = %q at %s", r.Pattern, eff, r.At)
}

// Guard is the local/private-network guard's outcome for an address.
type Guard struct {
	Addr   string `json:"addr"`
	Range  string `json:"range,omitempty"` // the guarded block, e.g. "loopback 127.0.0.0/8"
	Passed bool   `json:"passed"`
	// Reached is false when the rules refused the host first: the guard's
	// outcome is then what it would have said, for the record.
	Reached bool   `json:"reached"`
	Why     string `json:"why"`
}

// HostExplanation is the answer for one destination.
type HostExplanation struct {
	Input  string    `json:"input"`
	Host   string    `json:"host"` // canonical
	Port   int       `json:"port,omitempty"`
	Policy PolicyRef `json:"policy"`
	Legacy *Legacy   `json:"legacy,omitempty"`
	// Network is the profile's network mode: off, proxied or full.
	Network ir.NetMode `json:"network"`
	// NetworkAt is the line that set the mode, when known.
	NetworkAt string       `json:"network_at,omitempty"`
	Allow     []DomainRule `json:"allow,omitempty"` // allow entries that match the host
	Deny      []DomainRule `json:"deny,omitempty"`  // deny entries that match the host
	DecidedBy *DomainRule  `json:"decided_by,omitempty"`
	Guard     *Guard       `json:"guard,omitempty"`
	// Resolve is set for a host name the rules allow: the proxy resolves
	// it once and checks every address; explain does not look it up.
	Resolve bool   `json:"resolve_at_proxy,omitempty"`
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	// Diagnostics are the enforceability diagnostics per target about the
	// network settings.
	Diagnostics diag.List `json:"diagnostics,omitempty"`
}

// ExplainHost decides q against the policy in effect in l. It returns an
// error for a host that is not a host in any spelling.
func ExplainHost(l *Loaded, q HostQuery) (*HostExplanation, error) {
	p := l.Result.SelectedPolicy()
	if p == nil {
		return nil, ErrNoPolicy
	}
	if scheme, _, ok := strings.Cut(q.Host, "://"); ok && scheme != "" && !strings.ContainsAny(scheme, "/[]:@") {
		return nil, fmt.Errorf("--host %q: give a host or host:port, not a url: remove %q", q.Host, scheme+"://")
	}
	h, err := host.Canonical(q.Host)
	if err != nil {
		return nil, fmt.Errorf("--host %q: %v", q.Host, err)
	}
	port, err := portOf(q.Host)
	if err != nil {
		return nil, fmt.Errorf("--host %q: %v", q.Host, err)
	}
	out := decideHost(p, h)
	out.Input, out.Port, out.Policy, out.Legacy = q.Host, port, refOf(p), l.legacy()
	for _, t := range q.Targets {
		out.Diagnostics = append(out.Diagnostics, netConcerning(p, t, out.DecidedBy)...)
	}
	out.Diagnostics = out.Diagnostics.Sorted()
	return out, nil
}

// portOf returns the port of HOST:PORT or [IPV6]:PORT, 0 when none.
// host.Canonical has checked its form already.
func portOf(s string) (int, error) {
	s = strings.TrimSpace(s)
	var p string
	switch {
	case strings.HasPrefix(s, "["):
		if i := strings.LastIndex(s, "]:"); i >= 0 {
			p = s[i+2:]
		}
	case strings.Count(s, ":") == 1:
		p = s[strings.IndexByte(s, ':')+1:]
	}
	if p == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not 1-65535", p)
	}
	return n, nil
}

// decideHost decides a canonical host as the proxy would, in its order:
// the network mode, then the rules (deny wins, no allow refuses), then,
// unless allow_local_binding, the local/private guard for an IP literal
// or localhost. A name is not looked up: the proxy resolves it once and
// checks each address.
func decideHost(p *ir.Policy, h string) *HostExplanation {
	out := &HostExplanation{Host: h, Network: p.Net.Mode()}
	n := &p.Net
	if o, ok := n.Origins["enabled"]; ok {
		out.NetworkAt = at(o)
	}
	switch {
	case p.Unrestricted:
		out.Network, out.Allowed = ir.NetFull, true
		out.Reason = "no sandbox: the profile is unrestricted, so network is unfiltered"
		return out
	case out.Network == ir.NetOff:
		out.Reason = "network is off: network.enabled is not true, so no host is reachable"
		return out
	case out.Network == ir.NetFull:
		out.Allowed = true
		out.Reason = "unfiltered: network is enabled with no domains table, so every host is reachable and no local-network guard applies"
		return out
	}
	rules := make([]host.Rule, 0, len(n.Domains))
	for i, d := range n.Domains {
		pat, err := host.ParsePattern(d.Pattern)
		if err != nil {
			continue // the passes refused it already
		}
		rules = append(rules, host.Rule{Pattern: pat, Allow: d.Allow, ID: i})
		if !pat.Match(h) {
			continue
		}
		if d.Allow {
			out.Allow = append(out.Allow, domainRule(d))
		} else {
			out.Deny = append(out.Deny, domainRule(d))
		}
	}
	m := host.NewMatcher(rules)
	v := m.Decide(h)
	switch {
	case v.Malformed:
		out.Reason = fmt.Sprintf("%q is not a canonical host", h)
		return out
	case v.Deny != nil:
		r := domainRule(n.Domains[v.Deny.ID])
		out.DecidedBy = &r
		out.Reason = fmt.Sprintf("denied by %s: deny wins over any allow", r)
		out.Guard = guardOutcome(h, m, n.AllowLocalBinding)
		return out
	case v.Allow == nil:
		out.Reason = fmt.Sprintf("not allowlisted: no allow entry matches %q", h)
		if len(n.Domains) == 0 {
			out.Reason = "not allowlisted: the domains table is empty, so every host is blocked"
		}
		out.Guard = guardOutcome(h, m, n.AllowLocalBinding)
		return out
	}
	if ip, ok := host.ParseIP(h); ok {
		// As the proxy does: a deny of an IPv4 address holds for the
		// NAT64 and 6to4 addresses that carry it.
		for _, f := range host.AddrForms(ip) {
			if fv := m.Decide(f.String()); fv.Deny != nil {
				r := domainRule(n.Domains[fv.Deny.ID])
				out.DecidedBy = &r
				out.Deny = append(out.Deny, r)
				out.Reason = fmt.Sprintf("denied by %s: %s carries %s, and deny wins over any allow", r, h, f)
				return out
			}
		}
	}
	r := domainRule(n.Domains[v.Allow.ID])
	out.DecidedBy = &r
	guard(out, m, n.AllowLocalBinding)
	return out
}

func domainRule(d ir.DomainRule) DomainRule {
	return DomainRule{Pattern: d.Pattern, Allow: d.Allow, At: at(d.Origin), Profile: d.Origin.Profile}
}

// loopback is what localhost means; the proxy never looks it up.
var loopback = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// guard applies the local/private guard to a host the rules allow.
func guard(out *HostExplanation, m *host.Matcher, allowLocal bool) {
	h := out.Host
	g := guardOutcome(h, m, allowLocal)
	if g == nil {
		out.Resolve, out.Allowed = true, true
		out.Reason = fmt.Sprintf("allowed by %s; the proxy resolves %q once and dials only addresses it checked", out.DecidedBy, h)
		if allowLocal {
			out.Reason += " (allow_local_binding: local and private addresses are allowed too)"
		} else {
			out.Reason += ", refusing any that is local or private (the local/private guard) or denied by an address rule"
		}
		return
	}
	g.Reached = true
	out.Guard = g
	out.Allowed = g.Passed
	if g.Passed {
		out.Reason = fmt.Sprintf("allowed by %s; guard: %s", out.DecidedBy, g.Why)
	} else {
		out.Reason = fmt.Sprintf("allowed by %s, then blocked by the local/private guard: %s is %s; %s", out.DecidedBy, g.Addr, g.Range, g.Why)
	}
}

// guardOutcome is what the local/private guard says of an IP literal or
// localhost, or nil for a name (which the proxy resolves and checks address
// by address). Reached is left false for the caller to set.
func guardOutcome(h string, m *host.Matcher, allowLocal bool) *Guard {
	addr, isIP := host.ParseIP(h)
	localhost := h == "localhost" || strings.HasSuffix(h, ".localhost")
	if !isIP && !localhost {
		return nil
	}
	if localhost {
		addr = loopback
	}
	g := &Guard{Addr: addr.String(), Passed: true}
	rng, guarded := host.GuardedBy(addr)
	if guarded {
		g.Range = rng.Name
		if rng.Prefix.IsValid() {
			g.Range += " " + rng.Prefix.String()
		}
	}
	switch {
	case !guarded:
		g.Why = "not in a local or private range"
	case allowLocal:
		g.Why = "in a guarded range, allowed by allow_local_binding"
	case m.ExactlyAllowed(h):
		g.Why = fmt.Sprintf("in a guarded range, reachable because an exact allow entry names %q", h)
	case metadataAddrs[h]:
		g.Passed = false
		g.Why = fmt.Sprintf("%s is a cloud metadata address, which hands whoever asks the machine's credentials: "+
			"only an exact allow entry would open it; keep it refused", h)
	default:
		g.Passed = false
		g.Why = fmt.Sprintf("only an exactly allowlisted literal (or localhost) is reachable there: allow %q exactly, or set allow_local_binding = true", h)
	}
	return g
}

// metadataAddrs are the cloud providers' instance metadata endpoints:
// explain does not offer a way to open them.
var metadataAddrs = map[string]bool{
	"169.254.169.254": true, // AWS, GCP, Azure, OpenStack, …
	"169.254.170.2":   true, // AWS ECS task metadata
	"fd00:ec2::254":   true, // AWS over IPv6
	"100.100.100.200": true, // Alibaba Cloud
}

// netConcerning returns the enforceability diagnostics of target t about
// the network settings that decided: the mode, the domains table, the
// deciding rule.
func netConcerning(p *ir.Policy, t ir.Target, by *DomainRule) diag.List {
	want := map[diag.Pos]bool{}
	for _, k := range []string{"enabled", "domains", "allow_local_binding"} {
		if o, ok := p.Net.Origins[k]; ok && o.Pos.IsValid() {
			want[o.Pos] = true
		}
	}
	var out diag.List
	for _, d := range passes.Enforceability(p, t) {
		if want[d.Pos] || by != nil && d.Pos.Short() == by.At {
			out = append(out, d)
		}
	}
	return out
}
