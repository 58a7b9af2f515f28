package proxy_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/proxy"
)

// table is a resolver that answers from memory, as tests do.
type table map[string][]netip.Addr

func (t table) LookupNetIP(_ context.Context, _, name string) ([]netip.Addr, error) {
	if a, ok := t[strings.TrimSuffix(name, ".")]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("no such host %s", name)
}

func ExamplePolicy_Decide() {
	at := func(line int) ir.Origin {
		return ir.Origin{Pos: diag.Pos{File: "config.toml", Line: line}, Profile: "p"}
	}
	rules := []ir.DomainRule{
		{Pattern: "*", Allow: true, Origin: at(7)},
		{Pattern: "169.254.169.254", Allow: false, Origin: at(8)},
	}
	dns := table{
		"api.example.com": {netip.MustParseAddr("192.0.2.10")},
		"evil.example":    {netip.MustParseAddr("10.0.0.5")},
		"web.example":     {netip.MustParseAddr("93.184.215.14")},
	}
	p, err := proxy.NewPolicy(rules, false, dns)
	if err != nil {
		panic(err)
	}
	for _, h := range []string{"0xa9fea9fe", "2130706433", "evil.example", "web.example"} {
		d := p.Decide(context.Background(), h, 80)
		fmt.Printf("%s: %s %v\n", h, d.Reason, d.Addrs)
	}
	d := p.Decide(context.Background(), "[::ffff:169.254.169.254]", 80)
	fmt.Println(d.Explain())
	// Output:
	// 0xa9fea9fe: denied []
	// 2130706433: local-guard []
	// evil.example: local-guard []
	// web.example: allowed [93.184.215.14]
	// 169.254.169.254:80 denied by "169.254.169.254" at config.toml:8 (p)
}
