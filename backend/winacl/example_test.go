package winacl_test

import (
	"fmt"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

func Example() {
	at := func(line int) ir.Origin {
		return ir.Origin{Pos: diag.Pos{File: "config.toml", Line: line}, Profile: "p"}
	}
	p := &ir.Policy{Name: "p", Net: ir.DefaultNetPolicy(), FS: ir.FSPolicy{Rules: []ir.FSRule{
		{Base: ir.BaseRoot, Access: ir.Deny, Origin: at(4)},
		{Base: ir.BaseMinimal, Access: ir.Read, Origin: at(5)},
		{Base: ir.BaseAbs, Path: `C:\work`, Access: ir.Write, Origin: at(6)},
	}}}
	p.Net.Origins = map[string]ir.Origin{"enabled": at(9)} // enabled = false
	m, err := winacl.Compile(p)
	if err != nil {
		panic(err)
	}
	if _, err := m.JSON(); err != nil { // the bytes of windows.json
		panic(err)
	}
	for _, mm := range m.Modes {
		fmt.Println(mm.Mode, mm.Model, mm.Usable)
	}
	for _, d := range winacl.Check(p).Errors() {
		fmt.Println(d)
	}
	// Output:
	// elevated appcontainer true
	// unelevated write-restricted false
	// config.toml:4: error[unenforceable] (windows): unelevated mode: unelevated windows sandboxing cannot deny reads of the root
	// config.toml:4: error[unenforceable] (windows): unelevated mode: unelevated windows sandboxing restricts writes only; reads cannot be restricted
	// config.toml:9: error[unenforceable] (windows): unelevated mode: unelevated windows sandboxing has no identity to scope firewall rules to, so it cannot turn the network off
}
