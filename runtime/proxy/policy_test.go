package proxy

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permc/permc/ir"
)

// Every spelling of 127.0.0.1 a client may send (numeric-host-alias.md).
var loopbackSpellings = []string{
	"127.0.0.1", "2130706433", "0x7f000001", "0x7f.1", "0177.0.0.1", "127.1", "127.0.0.1.",
	"[127.0.0.1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "::ffff:127.0.0.1", "%31%32%37.0.0.1",
	"0x7F.0.0.1", "127.0.1", "[::127.0.0.1]",
}

// Every spelling of the cloud metadata address.
var metadataSpellings = []string{
	"169.254.169.254", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518",
	"0xa9.0xfe.0xa9.0xfe", "169.254.169.254.", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]",
}

type decideCase struct {
	host   string
	port   uint16
	reason Reason
	canon  string   // canonical host, when it matters
	addrs  []string // checked addresses, when allowed
	rule   string   // deciding rule's pattern
	addr   string   // refused address
	why    string   // substring of Explain
}

func runDecide(t *testing.T, p *Policy, r *fakeResolver, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.host, func(t *testing.T) {
			port := c.port
			if port == 0 {
				port = 443
			}
			d := p.Decide(context.Background(), c.host, port)
			if d.Reason != c.reason {
				t.Fatalf("Decide(%q) = %s (%s), want %s", c.host, d.Reason, d.Explain(), c.reason)
			}
			if c.canon != "" && d.Host != c.canon {
				t.Errorf("host %q, want %q", d.Host, c.canon)
			}
			if c.addrs != nil {
				var got []string
				for _, a := range d.Addrs {
					got = append(got, a.String())
				}
				if diff := cmp.Diff(c.addrs, got); diff != "" {
					t.Errorf("addrs (-want +got):\n%s", diff)
				}
			}
			if !d.Allowed() && len(d.Addrs) > 0 {
				t.Errorf("a refusal carries addresses to dial: %v", d.Addrs)
			}
			if c.rule != "" && (d.Rule == nil || d.Rule.Pattern != c.rule) {
				t.Errorf("rule %v, want %q", d.Rule, c.rule)
			}
			if c.addr != "" && d.Addr.String() != c.addr {
				t.Errorf("refused address %v, want %s", d.Addr, c.addr)
			}
			if !strings.Contains(d.Explain(), c.why) {
				t.Errorf("Explain() = %q, want it to contain %q", d.Explain(), c.why)
			}
		})
	}
}

// TestDecideLoopbackLiteral is loopback-literal-allowlisted.md at the
// policy level: an exact local literal passes the guard, nothing else
// local does.
func TestDecideLoopbackLiteral(t *testing.T) {
	r := newResolver(defaultDNS)
	p, err := NewPolicy(rules(t, "127.0.0.1=allow", "example.test=allow", "allowed.test=allow",
		"**.wild.test=allow", "bad.wild.test=deny", "[::1]=allow", "*.allowed.test=allow"), false, r)
	if err != nil {
		t.Fatal(err)
	}
	cases := []decideCase{
		{host: "allowed.test", reason: ReasonAllowed, addrs: []string{"1.2.3.4"}, rule: "allowed.test", why: `"allowed.test" at test.toml:3 (p)`},
		{host: "ALLOWED.Test.", reason: ReasonAllowed, canon: "allowed.test"},
		{host: "allowed%2Etest", reason: ReasonAllowed, canon: "allowed.test"},
		{host: "www.allowed.test", reason: ReasonAllowed, rule: "*.allowed.test"},
		{host: "x.wild.test", reason: ReasonLookupFailed, why: "did not resolve"},
		{host: "bad.wild.test", reason: ReasonDenied, rule: "bad.wild.test", why: `denied by "bad.wild.test" at test.toml:5 (p)`},
		{host: "BAD.wild.test.", reason: ReasonDenied, rule: "bad.wild.test"},
		{host: "other.test", reason: ReasonNotAllowlisted, why: "not allowlisted"},
		{host: "127.0.0.2", reason: ReasonNotAllowlisted},
		{host: "localhost", reason: ReasonNotAllowlisted},
		{host: "example.test", reason: ReasonLocalGuard, addr: "127.0.0.1", why: "resolves to 127.0.0.1 (loopback 127.0.0.0/8)"},
		{host: "[::1]", reason: ReasonAllowed, addrs: []string{"::1"}},
		{host: "a..b", reason: ReasonBadHost},
		{host: "exa mple.test", reason: ReasonBadHost},
	}
	for _, s := range loopbackSpellings {
		cases = append(cases, decideCase{host: s, reason: ReasonAllowed, canon: "127.0.0.1", addrs: []string{"127.0.0.1"}, rule: "127.0.0.1"})
	}
	runDecide(t, p, r, cases)

	if d := p.Decide(context.Background(), "allowed.test", 0); d.Reason != ReasonBadHost {
		t.Errorf("port 0: %s, want bad-host", d.Reason)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "2130706433"} {
		if n := r.count(name); n != 0 {
			t.Errorf("%s was looked up %d times; literals and localhost are never looked up", name, n)
		}
	}
}

// TestDecideNumericAlias is numeric-host-alias.md at the policy level.
func TestDecideNumericAlias(t *testing.T) {
	r := newResolver(defaultDNS)
	p, err := NewPolicy(rules(t, "*=allow", "169.254.169.254=deny"), false, r)
	if err != nil {
		t.Fatal(err)
	}
	var cases []decideCase
	for _, s := range loopbackSpellings {
		cases = append(cases, decideCase{host: s, reason: ReasonLocalGuard, canon: "127.0.0.1", addr: "127.0.0.1",
			why: "only an exactly allowlisted literal"})
	}
	for _, s := range metadataSpellings {
		cases = append(cases, decideCase{host: s, reason: ReasonDenied, canon: "169.254.169.254", rule: "169.254.169.254",
			why: "test.toml:2"})
	}
	cases = append(cases,
		decideCase{host: "evil.test", reason: ReasonLocalGuard, addr: "10.0.0.5", why: "private 10.0.0.0/8"},
		decideCase{host: "meta.test", reason: ReasonLocalGuard, addr: "169.254.169.254"},
		decideCase{host: "mixed.test", reason: ReasonLocalGuard, addr: "192.168.1.7"},
		decideCase{host: "mapped.test", reason: ReasonLocalGuard, addr: "10.1.1.1"},
		decideCase{host: "loop.test", reason: ReasonLocalGuard, addr: "127.0.0.2"},
		decideCase{host: "localhost", reason: ReasonLocalGuard},
		decideCase{host: "app.localhost", reason: ReasonLocalGuard},
		decideCase{host: "[fd00::1]", reason: ReasonLocalGuard, addr: "fd00::1"},
		decideCase{host: "[::]", reason: ReasonLocalGuard},
		decideCase{host: "0", reason: ReasonLocalGuard, canon: "0.0.0.0"},
		decideCase{host: "fail.test", reason: ReasonLookupFailed},
		decideCase{host: "allowed.test", reason: ReasonAllowed, addrs: []string{"1.2.3.4"}, rule: "*"},
	)
	runDecide(t, p, r, cases)
	if n := r.count("localhost"); n != 0 {
		t.Errorf("localhost was looked up %d times", n)
	}
}

// TestDecideAllowLocal: with allow_local_binding the guard is off, but
// denies still hold, for literals and for names that resolve to them.
func TestDecideAllowLocal(t *testing.T) {
	r := newResolver(defaultDNS)
	p, err := NewPolicy(rules(t, "*=allow", "169.254.169.254=deny", "denied.test=deny"), true, r)
	if err != nil {
		t.Fatal(err)
	}
	var cases []decideCase
	for _, s := range loopbackSpellings {
		cases = append(cases, decideCase{host: s, reason: ReasonAllowed, addrs: []string{"127.0.0.1"}})
	}
	for _, s := range metadataSpellings {
		cases = append(cases, decideCase{host: s, reason: ReasonDenied, rule: "169.254.169.254"})
	}
	cases = append(cases,
		decideCase{host: "meta.test", reason: ReasonDenied, addr: "169.254.169.254", rule: "169.254.169.254",
			why: "resolves to 169.254.169.254, denied by"},
		decideCase{host: "loop.test", reason: ReasonAllowed, addrs: []string{"127.0.0.2"}},
		decideCase{host: "mixed.test", reason: ReasonAllowed, addrs: []string{"1.2.3.4", "192.168.1.7"}},
		decideCase{host: "mapped.test", reason: ReasonAllowed, addrs: []string{"10.1.1.1"}},
		decideCase{host: "localhost", reason: ReasonAllowed, addrs: []string{"127.0.0.1", "::1"}},
		decideCase{host: "denied.test", reason: ReasonDenied, rule: "denied.test"},
	)
	runDecide(t, p, r, cases)
	if n := r.count("localhost"); n != 0 {
		t.Errorf("localhost was looked up %d times", n)
	}
}

// TestDecideLookupOnce: one decision, one lookup; the answer decided is
// the answer returned to dial.
func TestDecideLookupOnce(t *testing.T) {
	r := newResolver(defaultDNS)
	p, err := NewPolicy(rules(t, "allowed.test=allow"), false, r)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Decide(context.Background(), "allowed.test", 80)
	r.set("allowed.test", "10.0.0.1") // a rebinding answer for any second lookup
	if !d.Allowed() || d.Addrs[0] != netip.MustParseAddr("1.2.3.4") {
		t.Fatalf("got %s %v", d.Reason, d.Addrs)
	}
	if n := r.count("allowed.test"); n != 1 {
		t.Errorf("%d lookups, want 1", n)
	}
	if d := p.Decide(context.Background(), "allowed.test", 80); d.Reason != ReasonLocalGuard {
		t.Errorf("after rebinding: %s, want local-guard", d.Reason)
	}
}

func TestNewPolicyErrors(t *testing.T) {
	r := newResolver(nil)
	deny := rule(t, "a.test=deny", 1)
	deny.Pattern = "*"
	if _, err := NewPolicy(append(rules(t, "a.test=allow"), deny), false, r); err == nil ||
		!strings.Contains(err.Error(), "may only be allowed") {
		t.Errorf("deny of * accepted: %v", err)
	}
	bad := rule(t, "a.test=allow", 7)
	bad.Pattern = "http://a.test/"
	if _, err := NewPolicy([]ir.DomainRule{bad}, false, r); err == nil || !strings.Contains(err.Error(), "test.toml:7") {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := NewPolicy(nil, false, nil); err == nil {
		t.Error("no resolver accepted")
	}
}

// A name is looked up as the name decided on, never through the search
// domains of resolv.conf: with "search wild.test", "deny" would otherwise
// reach deny.wild.test, which a rule denies.
func TestDecideLooksUpRootedNames(t *testing.T) {
	r := newResolver(map[string][]string{"deny.wild.test": {"11.0.0.1"}, "ok.test": {"11.0.0.3"}})
	p, err := NewPolicy(rules(t, "*=allow", "deny.wild.test=deny"), false, r)
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Decide(context.Background(), "deny", 80); d.Allowed() || d.Reason != ReasonLookupFailed {
		t.Errorf("deny: %s %v, want a failed lookup of the name itself", d.Reason, d.Addrs)
	}
	if d := p.Decide(context.Background(), "ok.test", 80); !d.Allowed() {
		t.Errorf("ok.test: %s", d.Explain())
	}
	if len(r.unrooted) > 0 {
		t.Errorf("looked up without a final dot (open to the search list): %v", r.unrooted)
	}
}

// A deny of an IPv4 address holds for every IPv6 form that carries it:
// NAT64, 6to4 and IPv4-compatible, as literals and as lookup answers.
func TestDecideEmbeddedIPv4Denied(t *testing.T) {
	r := newResolver(map[string][]string{"nat64.test": {"64:ff9b::b00:2"}, "compat.test": {"::b00:2"},
		"sixto4.test": {"2002:b00:2::1"}, "other.test": {"64:ff9b::b00:3"}})
	p, err := NewPolicy(rules(t, "*=allow", "11.0.0.2=deny"), false, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"11.0.0.2", "[64:ff9b::b00:2]", "[2002:b00:2::1]", "[::ffff:b00:2]",
		"[64:ff9b:1:b00:0:200::]", "[::ffff:0:b00:2]",
		"nat64.test", "compat.test", "sixto4.test"} {
		if d := p.Decide(context.Background(), h, 443); d.Reason != ReasonDenied {
			t.Errorf("%s: %s, want denied by 11.0.0.2", h, d.Explain())
		}
	}
	for _, h := range []string{"other.test", "[64:ff9b::b00:3]"} {
		if d := p.Decide(context.Background(), h, 443); !d.Allowed() {
			t.Errorf("%s: %s, want allowed", h, d.Explain())
		}
	}
}
