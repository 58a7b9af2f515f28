package host

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rules builds Matcher rules from "allow PATTERN" / "deny PATTERN" lines;
// each rule's ID is its index.
func rules(t testing.TB, lines ...string) []Rule {
	t.Helper()
	var rs []Rule
	for i, l := range lines {
		var eff, pat string
		if _, err := fmt.Sscan(l, &eff, &pat); err != nil {
			t.Fatalf("rule %q: %v", l, err)
		}
		p, err := ParsePattern(pat)
		if err != nil {
			t.Fatalf("rule %q: %v", l, err)
		}
		rs = append(rs, Rule{Pattern: p, Allow: eff == "allow", ID: i})
	}
	return rs
}

// outcome is a Verdict reduced to comparable values; -1 means no rule.
type outcome struct {
	Allowed   bool
	Deny      int
	Allow     int
	Malformed bool
}

func summarize(v Verdict) outcome {
	o := outcome{Allowed: v.Allowed, Deny: -1, Allow: -1, Malformed: v.Malformed}
	if v.Deny != nil {
		o.Deny = v.Deny.ID
	}
	if v.Allow != nil {
		o.Allow = v.Allow.ID
	}
	return o
}

func TestMatcherDecide(t *testing.T) {
	spec := []string{ // the spec's example table, plus a deny of a wildcard
		"allow example.com",      // 0
		"allow *.example.com",    // 1
		"allow **.example.org",   // 2
		"deny ads.example.com",   // 3
		"deny **.tracker.test",   // 4
		"allow api.tracker.test", // 5
		"deny *.example.org",     // 6
		"allow x.y.example.org",  // 7
	}
	var (
		allowAll = []string{"allow *"}
		denyOnly = []string{"deny ads.example.com"}
	)
	cases := []struct {
		name  string
		rules []string
		host  string
		want  outcome
	}{
		{"exact", spec, "example.com", outcome{true, -1, 0, false}},
		{"sub matches subdomain", spec, "www.example.com", outcome{true, -1, 1, false}},
		{"sub matches deep", spec, "a.b.example.com", outcome{true, -1, 1, false}},
		{"sub not apex", []string{"allow *.example.com"}, "example.com", outcome{false, -1, -1, false}},
		{"apexsub matches apex", spec, "example.org", outcome{true, -1, 2, false}},
		{"not a suffix match", spec, "badexample.com", outcome{false, -1, -1, false}},
		{"exact deny beats sub allow", spec, "ads.example.com", outcome{false, 3, 1, false}},
		{"exact deny spares subdomains", spec, "x.ads.example.com", outcome{true, -1, 1, false}},
		{"broad deny beats exact allow", spec, "api.tracker.test", outcome{false, 4, 5, false}},
		{"apexsub deny covers apex", spec, "tracker.test", outcome{false, 4, -1, false}},
		{"sub deny beats deeper exact allow", spec, "x.y.example.org", outcome{false, 6, 7, false}},
		{"sub deny spares apex", spec, "example.org", outcome{true, -1, 2, false}},
		{"not listed", spec, "openai.com", outcome{false, -1, -1, false}},
		{"no allow blocks everything", denyOnly, "example.com", outcome{false, -1, -1, false}},
		{"empty table blocks everything", nil, "example.com", outcome{false, -1, -1, false}},
		{"any allow", allowAll, "anything.test", outcome{true, -1, 0, false}},
		{"any allow, deny wins", []string{"allow *", "deny evil.test"}, "evil.test", outcome{false, 1, 0, false}},
		{"specific allow reported over any", []string{"allow *", "allow a.test"}, "a.test", outcome{true, -1, 1, false}},
		{"ip exact", []string{"allow 127.0.0.1"}, "127.0.0.1", outcome{true, -1, 0, false}},
		{"ip other", []string{"allow 127.0.0.1"}, "127.0.0.2", outcome{false, -1, -1, false}},
		{"ip any", []string{"allow *", "deny 169.254.169.254"}, "169.254.169.254", outcome{false, 1, 0, false}},
		{"ipv6 exact", []string{"allow [::1]"}, "::1", outcome{true, -1, 0, false}},
		{"duplicate keeps first", []string{"allow a.test", "allow A.test."}, "a.test", outcome{true, -1, 0, false}},
		{"same pattern both ways", []string{"allow a.test", "deny a.test"}, "a.test", outcome{false, 1, 0, false}},
		{"exact more specific than apexsub", []string{"allow **.a.test", "allow a.test"}, "a.test", outcome{true, -1, 1, false}},

		// Hosts that are not canonical are refused, whatever the rules.
		{"uppercase refused", allowAll, "EXAMPLE.com", outcome{false, -1, -1, true}},
		{"trailing dot refused", allowAll, "example.com.", outcome{false, -1, -1, true}},
		{"decimal ip refused", allowAll, "2130706433", outcome{false, -1, -1, true}},
		{"short ip refused", allowAll, "127.1", outcome{false, -1, -1, true}},
		{"mapped refused", allowAll, "::ffff:127.0.0.1", outcome{false, -1, -1, true}},
		{"port refused", allowAll, "example.com:443", outcome{false, -1, -1, true}},
		{"empty label refused", allowAll, "a..test", outcome{false, -1, -1, true}},
		{"empty refused", allowAll, "", outcome{false, -1, -1, true}},
		{"leading zero refused", allowAll, "127.0.0.01", outcome{false, -1, -1, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMatcher(rules(t, tc.rules...))
			got := summarize(m.Decide(tc.host))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decide(%q) (-want +got):\n%s", tc.host, diff)
			}
		})
	}
}

func TestExactlyAllowed(t *testing.T) {
	m := NewMatcher(rules(t,
		"allow 127.0.0.1",
		"allow example.test",
		"allow **.local.test",
		"allow *",
		"allow 10.0.0.1",
		"deny 10.0.0.1",
	))
	cases := []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.0.0.2", false}, // allowed only through "*"
		{"localhost", false}, // not listed by name
		{"example.test", true},
		{"local.test", false}, // a wildcard, not an exact entry
		{"10.0.0.1", false},   // denied
		{"2130706433", false}, // not canonical
	}
	for _, tc := range cases {
		if got := m.ExactlyAllowed(tc.host); got != tc.want {
			t.Errorf("ExactlyAllowed(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

// The rules are copied: changing the caller's slice changes nothing.
func TestMatcherCopiesRules(t *testing.T) {
	rs := rules(t, "allow a.test")
	m := NewMatcher(rs)
	rs[0].Allow = false
	if !m.Decide("a.test").Allowed {
		t.Error("matcher changed with the caller's slice")
	}
}

// linearDecide is the reference: every rule scanned, deny wins.
func linearDecide(rs []Rule, h string) (allowed, denied bool) {
	var allow bool
	for _, r := range rs {
		if !r.Pattern.Match(h) {
			continue
		}
		if !r.Allow {
			return false, true
		}
		allow = true
	}
	return allow, false
}

// The trie agrees with a linear scan on random tables and hosts.
func TestMatcherAgreesWithScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"a", "b", "com", "test", "x", "example"}
	name := func() string {
		n := 1 + rng.IntN(4)
		s := labels[rng.IntN(len(labels))]
		for range n - 1 {
			s = labels[rng.IntN(len(labels))] + "." + s
		}
		return s
	}
	kinds := []string{"", "*.", "**."}
	for trial := range 300 {
		var rs []Rule
		for i := range rng.IntN(12) {
			p, err := ParsePattern(kinds[rng.IntN(3)] + name())
			if rng.IntN(20) == 0 {
				p, err = Pattern{Kind: Any}, nil
			}
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, Rule{Pattern: p, Allow: rng.IntN(3) > 0, ID: i})
		}
		m := NewMatcher(rs)
		for range 20 {
			h := name()
			v := m.Decide(h)
			allowed, denied := linearDecide(rs, h)
			if v.Allowed != allowed || (v.Deny != nil) != denied {
				t.Fatalf("trial %d: rules %v host %q: trie %+v, scan allowed=%v denied=%v",
					trial, rs, h, summarize(v), allowed, denied)
			}
			if v.Deny != nil && !v.Deny.Pattern.Match(h) || v.Allow != nil && !v.Allow.Pattern.Match(h) {
				t.Fatalf("trial %d: reported rule does not match %q: %+v", trial, h, summarize(v))
			}
		}
	}
}

// BenchmarkMatcher10k decides hosts against 10,000 patterns of every kind.
// Issue 7's target is under 200 ns per decision.
func BenchmarkMatcher10k(b *testing.B) {
	var rs []Rule
	for i := range 10000 {
		var p Pattern
		switch i % 4 {
		case 0:
			p = Pattern{Exact, fmt.Sprintf("api%d.service%d.example.com", i, i%97)}
		case 1:
			p = Pattern{Sub, fmt.Sprintf("cdn%d.net", i)}
		case 2:
			p = Pattern{ApexSub, fmt.Sprintf("corp%d.internal.test", i)}
		case 3:
			p = Pattern{Exact, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
		}
		rs = append(rs, Rule{Pattern: p, Allow: i%10 != 0, ID: i})
	}
	m := NewMatcher(rs)
	hosts := []string{
		"api4.service4.example.com", // exact allow
		"img.static.cdn5.net",       // sub allow
		"corp6.internal.test",       // apexsub allow, apex
		"a.b.corp10.internal.test",  // apexsub deny
		"unlisted.example.org",      // no match
		"10.0.39.15",                // ip exact allow
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Decide(hosts[i%len(hosts)])
	}
}

func TestRuleCheck(t *testing.T) {
	cases := []struct {
		key   string
		allow bool
		want  string // "" for no error
	}{
		{"*", true, ""},
		{"example.com", false, ""},
		{"**.example.com", false, ""},
		{"*", false, `"*" may only be allowed: a deny of "*" would block every host, ` +
			"allowlisted ones included; hosts no entry allows are refused already"},
	}
	for _, tc := range cases {
		p, err := ParsePattern(tc.key)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if err := (Rule{Pattern: p, Allow: tc.allow}).Check(); err != nil {
			got = err.Error()
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Check(%q, allow=%v) (-want +got):\n%s", tc.key, tc.allow, diff)
		}
	}
}
