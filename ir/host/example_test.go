package host_test

import (
	"fmt"
	"net/netip"

	"github.com/permc/permc/ir/host"
)

func ExampleCanonical() {
	spellings := []string{"2130706433", "[::ffff:7f00:1]:80", "Bücher.example.", "example.com:443"}
	for _, s := range spellings {
		h, _ := host.Canonical(s)
		fmt.Println(h)
	}
	// Output:
	// 127.0.0.1
	// 127.0.0.1
	// xn--bcher-kva.example
	// example.com
}

func ExampleParsePattern() {
	p, _ := host.ParsePattern(" **.Example.COM. ")
	fmt.Println(p.Kind, p)

	_, err := host.ParsePattern("api.*.example.com")
	e := err.(*host.Error)
	fmt.Printf("column %d: %s\n", e.Offset, e.Msg)
	// Output:
	// apexsub **.example.com
	// column 4: "*" is allowed only as a whole first label: "*", "*.example.com" or "**.example.com"
}

func ExampleMatcher_Decide() {
	var rules []host.Rule
	for i, key := range []string{"**.example.com", "ads.example.com"} {
		p, _ := host.ParsePattern(key)
		rules = append(rules, host.Rule{Pattern: p, Allow: i == 0, ID: i})
	}
	m := host.NewMatcher(rules)
	for _, h := range []string{"example.com", "ads.example.com", "example.org"} {
		v := m.Decide(h)
		switch {
		case v.Deny != nil:
			fmt.Printf("%s: denied by %s\n", h, v.Deny.Pattern)
		case v.Allowed:
			fmt.Printf("%s: allowed by %s\n", h, v.Allow.Pattern)
		default:
			fmt.Printf("%s: not allowlisted\n", h)
		}
	}
	// Output:
	// example.com: allowed by **.example.com
	// ads.example.com: denied by ads.example.com
	// example.org: not allowlisted
}

func ExampleGuarded() {
	h, _ := host.Canonical("0xa9fea9fe")
	a, _ := host.ParseIP(h)
	r, _ := host.GuardedBy(a)
	fmt.Println(h, host.Guarded(a), r.Name, host.Guarded(netip.MustParseAddr("8.8.8.8")))
	// Output:
	// 169.254.169.254 true link-local false
}
