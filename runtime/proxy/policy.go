package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/permc/permc/ir"
	"github.com/permc/permc/ir/host"
)

// Resolver looks up the addresses of a host name. *net.Resolver satisfies
// it; tests inject their own so that no real lookup is made.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Reason says why a destination was allowed or refused.
type Reason uint8

const (
	ReasonAllowed        Reason = iota // an allow rule matched and the guard passed
	ReasonDenied                       // a deny rule matched the host or an address it resolves to
	ReasonNotAllowlisted               // no allow rule matched
	ReasonLocalGuard                   // the local/private guard refused an address
	ReasonLookupFailed                 // the name did not resolve: blocked
	ReasonBadHost                      // not a host in any spelling, or port 0
	ReasonSelf                         // an address is the proxy's own listener (set by Server)
)

var reasonNames = [...]string{
	"allowed", "denied", "not-allowlisted", "local-guard", "lookup-failed", "bad-host", "self",
}

// String is the reason's stable name, as sent in the X-Permc-Decision
// header and logged.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", r)
}

// Decision is the policy's answer for one destination.
type Decision struct {
	Reason Reason
	Host   string // canonical host; empty when the host was not valid
	Port   uint16
	// Addrs are the checked addresses, in the resolver's order; the proxy
	// dials only these. Set only when allowed.
	Addrs []netip.Addr
	// Rule is the deciding rule: the deny for ReasonDenied, otherwise the
	// allow that matched, if any.
	Rule *ir.DomainRule
	// Addr is the address that was refused (ReasonLocalGuard, or a
	// ReasonDenied reached through resolution); Guard names its range.
	Addr  netip.Addr
	Guard host.GuardRange
	// Err is the cause of ReasonBadHost and ReasonLookupFailed.
	Err error
}

// Allowed reports whether the destination may be reached.
func (d *Decision) Allowed() bool { return d.Reason == ReasonAllowed }

// Explain says in one lowercase line why the destination was allowed or
// refused, naming the deciding rule and where it was written.
func (d *Decision) Explain() string {
	target := d.target()
	switch d.Reason {
	case ReasonAllowed:
		// Every allowed tunnel's log line says this: no fmt.
		return target + " allowed by " + ruleText(d.Rule)
	case ReasonDenied:
		if d.Addr.IsValid() {
			return fmt.Sprintf("%s resolves to %s, denied by %s", target, d.Addr, ruleText(d.Rule))
		}
		return fmt.Sprintf("%s denied by %s", target, ruleText(d.Rule))
	case ReasonNotAllowlisted:
		if _, ok := host.ParseIP(d.Host); ok {
			return fmt.Sprintf("%s is not allowlisted: no allow rule matches %q "+
				"(wildcards never match an ip address: allow it exactly)", target, d.Host)
		}
		return fmt.Sprintf("%s is not allowlisted: no allow rule matches %q", target, d.Host)
	case ReasonLocalGuard:
		return d.explainGuard(target)
	case ReasonLookupFailed:
		return fmt.Sprintf("%s blocked: the name did not resolve (%v)", target, d.Err)
	case ReasonSelf:
		return fmt.Sprintf("%s is this proxy's own listener (%s): a proxy does not tunnel into itself",
			target, d.Addr)
	}
	return fmt.Sprintf("%s refused: invalid host: %v", target, d.Err)
}

func (d *Decision) explainGuard(target string) string {
	const fix = "set allow_local_binding = true to reach local or private addresses"
	rng := d.Guard.Name
	if d.Guard.Prefix.IsValid() {
		rng += " " + d.Guard.Prefix.String()
	}
	if a, ok := host.ParseIP(d.Host); ok && a == d.Addr || isLocalhost(d.Host) {
		return fmt.Sprintf("%s blocked by the local/private guard: %s is %s and only an exactly "+
			"allowlisted literal (or localhost) is reachable; allow %q exactly or %s", target, d.Addr, rng, d.Host, fix)
	}
	return fmt.Sprintf("%s blocked by the local/private guard: it resolves to %s (%s); names that "+
		"resolve to local or private addresses stay blocked unless allow_local_binding = true", target, d.Addr, rng)
}

// target renders host:port for messages.
func (d *Decision) target() string {
	h := d.Host
	if h == "" {
		return "host"
	}
	if strings.IndexByte(h, ':') >= 0 {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(int(d.Port))
}

// ruleText names a rule and where it was written.
func ruleText(r *ir.DomainRule) string {
	if r == nil {
		return "no rule"
	}
	return strconv.Quote(r.Pattern) + " at " + r.Origin.String()
}

// Policy is the one decision function of the proxy: every destination of
// every protocol goes through Decide. A Policy is safe for concurrent use.
type Policy struct {
	rules      []ir.DomainRule
	m          *host.Matcher
	allowLocal bool
	resolver   Resolver
}

// NewPolicy builds the decision function for a profile's domains table.
// Rules are parsed again from their canonical spelling (network.json does
// not carry the parsed form); a rule that does not parse, or a deny of
// "*", is an error rather than a rule silently dropped.
func NewPolicy(rules []ir.DomainRule, allowLocalBinding bool, r Resolver) (*Policy, error) {
	p := &Policy{rules: append([]ir.DomainRule(nil), rules...), allowLocal: allowLocalBinding, resolver: r}
	hr := make([]host.Rule, 0, len(rules))
	for i, d := range p.rules {
		pat, err := host.ParsePattern(d.Pattern)
		if err != nil {
			return nil, fmt.Errorf("domain rule %q at %s: %v", d.Pattern, d.Origin, err)
		}
		rule := host.Rule{Pattern: pat, Allow: d.Allow, ID: i}
		if err := rule.Check(); err != nil {
			return nil, fmt.Errorf("domain rule %q at %s: %v", d.Pattern, d.Origin, err)
		}
		hr = append(hr, rule)
	}
	if p.resolver == nil {
		return nil, errors.New("proxy: NewPolicy needs a resolver")
	}
	p.m = host.NewMatcher(hr)
	return p, nil
}

// loopbackAddrs are what localhost means: it is never looked up, so a
// resolver cannot send it elsewhere.
var loopbackAddrs = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}

// Decide decides a destination as a client spelled it (any spelling
// host.Canonical accepts, without a port) and a port. In order: the host
// is canonicalised; the rules decide (deny wins, no allow refuses); then,
// unless allow_local_binding, the local/private guard: an IP literal in a
// guarded range passes only when exactly allowlisted, localhost (and names
// under .localhost) likewise and without a lookup, and any other name is
// resolved once, every address checked against the guard and the deny
// rules, and refused when the lookup fails. An allowed Decision carries
// the addresses to dial.
func (p *Policy) Decide(ctx context.Context, rawHost string, port uint16) Decision {
	return p.decide(func() (context.Context, context.CancelFunc) { return ctx, func() {} }, rawHost, port)
}

// decide is Decide with the lookup's context made only when there is a
// name to look up: a deadline is a runtime timer, which an IP literal
// should not pay for.
func (p *Policy) decide(lookupCtx func() (context.Context, context.CancelFunc), rawHost string, port uint16) Decision {
	d := Decision{Port: port}
	h, err := host.Canonical(rawHost)
	if err != nil {
		d.Reason, d.Err = ReasonBadHost, err
		return d
	}
	d.Host = h
	if port == 0 {
		d.Reason, d.Err = ReasonBadHost, errors.New("port 0")
		return d
	}
	if !p.match(&d) {
		return d
	}
	if ip, ok := host.ParseIP(h); ok {
		return p.literal(d, ip)
	}
	if isLocalhost(h) {
		return p.localhost(d)
	}
	ctx, cancel := lookupCtx()
	defer cancel()
	return p.resolve(ctx, d)
}

// match applies the rules to the canonical host.
func (p *Policy) match(d *Decision) bool {
	v := p.m.Decide(d.Host)
	switch {
	case v.Malformed:
		d.Reason, d.Err = ReasonBadHost, fmt.Errorf("%q is not a canonical host", d.Host)
	case v.Deny != nil:
		d.Reason, d.Rule = ReasonDenied, &p.rules[v.Deny.ID]
	case v.Allow == nil:
		d.Reason = ReasonNotAllowlisted
	default:
		d.Reason, d.Rule = ReasonAllowed, &p.rules[v.Allow.ID]
		return true
	}
	return false
}

// deniedAddr returns the deny rule written for some form of a (its
// canonical spelling, or the IPv4 a NAT64 or 6to4 address embeds), if any.
func (p *Policy) deniedAddr(a netip.Addr) *host.Rule {
	for _, f := range host.AddrForms(a) {
		if v := p.m.Decide(f.String()); v.Deny != nil {
			return v.Deny
		}
	}
	return nil
}

// literal guards an allowed IP literal, after the deny rules of the IPv4
// it may embed.
func (p *Policy) literal(d Decision, ip netip.Addr) Decision {
	if r := p.deniedAddr(ip); r != nil {
		d.Reason, d.Addr, d.Rule = ReasonDenied, ip, &p.rules[r.ID]
		return d
	}
	if g, ok := host.GuardedBy(ip); ok && !p.allowLocal && !p.m.ExactlyAllowed(d.Host) {
		d.Reason, d.Addr, d.Guard = ReasonLocalGuard, ip, g
		return d
	}
	d.Addrs = []netip.Addr{ip}
	return d
}

// localhost guards an allowed localhost name, which always means loopback.
func (p *Policy) localhost(d Decision) Decision {
	if !p.allowLocal && !p.m.ExactlyAllowed(d.Host) {
		g, _ := host.GuardedBy(loopbackAddrs[0])
		d.Reason, d.Addr, d.Guard = ReasonLocalGuard, loopbackAddrs[0], g
		return d
	}
	d.Addrs = append([]netip.Addr(nil), loopbackAddrs...)
	return d
}

// resolve looks an allowed name up once and checks every address.
func (p *Policy) resolve(ctx context.Context, d Decision) Decision {
	// The decision was made on this name and no other: looked up as
	// given, the resolver would try the search domains of resolv.conf
	// first ("deny" as "deny.corp.example"), and a name that a deny rule
	// names in full could be reached by its first labels. Rooted, it is
	// looked up as it is.
	addrs, err := p.resolver.LookupNetIP(ctx, "ip", d.Host+".")
	if err == nil && len(addrs) == 0 {
		err = errors.New("no addresses")
	}
	if err != nil {
		d.Reason, d.Err = ReasonLookupFailed, err
		return d
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if !a.IsValid() {
			d.Reason, d.Err = ReasonLookupFailed, errors.New("the resolver returned an invalid address")
			return d
		}
		a = a.Unmap().WithZone("")
		if g, ok := host.GuardedBy(a); ok && !p.allowLocal {
			d.Reason, d.Addr, d.Guard = ReasonLocalGuard, a, g
			return d
		}
		// A deny written for an address also holds for names that
		// resolve to it, in any of its forms.
		if r := p.deniedAddr(a); r != nil {
			d.Reason, d.Addr, d.Rule = ReasonDenied, a, &p.rules[r.ID]
			return d
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	d.Addrs = out
	return d
}

// isLocalhost reports whether a canonical name means the local host
// (RFC 6761: localhost and every name under it).
func isLocalhost(h string) bool {
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}
