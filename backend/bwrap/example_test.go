package bwrap_test

import (
	"fmt"
	"os"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// A policy compiles to a plan of templates, which a machine resolves into
// bubblewrap operations.
func Example() {
	origin := ir.Origin{Pos: diag.Pos{File: "config.toml", Line: 3}}
	p := &ir.Policy{Name: "docs", FS: ir.FSPolicy{Rules: []ir.FSRule{
		{Base: ir.BaseRoot, Access: ir.Read, Origin: origin},
		{Base: ir.BaseAbs, Path: "/srv/site", Access: ir.Write, Origin: origin},
		{Base: ir.BaseAbs, Path: "/srv/site/private", Access: ir.Deny, Origin: origin},
	}}}
	plan, _ := bwrap.Compile(p)
	fmt.Println("base:", plan.Base)

	// Resolve against a disk where both directories exist.
	state, _ := os.MkdirTemp("/var/tmp", "permc-state")
	defer os.RemoveAll(state)
	mask, _ := bwrap.EnsureMaskFile(state)
	res, diags := bwrap.Resolve(plan, bwrap.Binding{}, bwrap.Options{FS: fakeDisk{}, MaskFile: mask})
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	for _, o := range res.Ops {
		fmt.Println(o.Op, o.Dest, o.Why)
	}
	fmt.Println(res.Mounts, "mounts")
	// Output:
	// base: ro-bind
	// ro-bind / base
	// dev /dev fresh
	// proc /proc fresh
	// bind /srv/site write
	// tmpfs /srv/site/private deny
	// remount-ro /srv/site/private deny
	// 5 mounts
}
