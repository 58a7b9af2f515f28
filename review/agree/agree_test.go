// Package agree checks that review's host answers agree with the proxy's.
// It is a package of its own so that review's tests do not depend on the
// runtime.
package agree

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/review"
	"github.com/permc/permc/runtime/proxy"
)

const config = `[permissions.p.network]
enabled = true

[permissions.p.network.domains]
"*" = "allow"
"169.254.169.254" = "deny"
"127.0.0.1" = "allow"
"ads.example.com" = "deny"
"**.corp.example" = "allow"
"10.1.2.3" = "deny"

[permissions.empty.network]
enabled = true

[permissions.empty.network.domains]

[permissions.narrow.network]
enabled = true

[permissions.narrow.network.domains]
"*.example.com" = "allow"
"localhost" = "allow"
"::1" = "allow"

[permissions.local.network]
enabled = true
allow_local_binding = true

[permissions.local.network.domains]
"localhost" = "allow"
"*.example.com" = "allow"
"8.8.8.8" = "allow"
`

// publicResolver answers every name with one public address, so that the
// proxy's answer for a name depends on the rules only, as explain's does.
type publicResolver struct{}

func (publicResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
}

// Explain and the proxy must agree: explain is how users learn what the
// proxy will do.
func TestExplainAgreesWithProxy(t *testing.T) {
	hosts := []string{
		"example.com", "a.example.com", "ads.example.com", "corp.example", "a.b.corp.example", "8.8.8.8",
		"10.0.0.1", "10.1.2.3", "127.0.0.1", "2130706433", "127.0.0.2", "localhost", "x.localhost",
		"169.254.169.254", "0xa9fea9fe", "[::1]", "::ffff:a9fe:a9fe", "[fe80::1]", "100.64.0.1",
		"93.184.215.14", "EXAMPLE.com.",
	}
	read := func(name string) ([]byte, error) {
		if name == "net.toml" {
			return []byte(config), nil
		}
		return nil, fmt.Errorf("no file %s", name)
	}
	for _, profile := range []string{"p", "empty", "narrow", "local"} {
		l, diags := review.Load(frontend.Options{Files: []string{"net.toml"}, ReadFile: read}, passes.Options{Profile: profile})
		if l == nil || diags.HasErrors() {
			t.Fatalf("%s: %v", profile, diags.Errors())
		}
		p := l.Result.SelectedPolicy()
		if p.Net.Mode() != ir.NetProxied {
			t.Fatalf("%s: mode %v", profile, p.Net.Mode())
		}
		pp, err := proxy.NewPolicy(p.Net.Domains, p.Net.AllowLocalBinding, publicResolver{})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hosts {
			e, err := review.ExplainHost(l, review.HostQuery{Host: h})
			if err != nil {
				t.Fatalf("%s: %v", h, err)
			}
			d := pp.Decide(context.Background(), h, 443)
			if e.Allowed != d.Allowed() {
				t.Errorf("%s %s: explain allowed=%v (%s); proxy %v (%s)", profile, h, e.Allowed, e.Reason, d.Allowed(), d.Explain())
			}
		}
	}
}
