package seatbelt

import (
	"strings"
	"testing"

	"github.com/permc/permc/ir"
)

// TestEmittedRegexesAreAnchored: every regex the compiler emits, once
// bound, starts with ^ and ends with $, so it means the same whether
// sandbox-exec searches a path or matches all of it.
func TestEmittedRegexesAreAnchored(t *testing.T) {
	p := &ir.Policy{Name: "p", Net: ir.DefaultNetPolicy(), FS: ir.FSPolicy{ProtectMetadata: true, Rules: []ir.FSRule{
		{Base: ir.BaseMinimal, Access: ir.Read},
		{Base: ir.BaseHome, Path: "Documents", Access: ir.Deny},
		{Base: ir.BaseHome, Path: "**/*.key", Glob: true, Access: ir.Deny},
		{Base: ir.BaseHome, Path: "docs/*.md", Glob: true, Access: ir.Read},
		{Base: ir.BaseWorkspaceRoots, Path: "src/*.go", Glob: true, Access: ir.Write},
		{Base: ir.BaseWorkspaceRoots, Path: "a/b", Access: ir.Deny},
		{Base: ir.BaseTmpdir, Access: ir.Deny},
		{Base: ir.BaseAbs, Path: "/tmp/x/*.sock", Glob: true, Access: ir.Deny},
		{Base: ir.BaseAbs, Path: "/Users/dev/Secret", Access: ir.Deny},
	}}}
	prof, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(prof.SBPL)
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{}
	for _, prm := range prof.Manifest.Params {
		params[prm.Name] = "/x"
		switch prm.Form {
		case "regex":
			params[prm.Name] = "(/x|/y)"
		case "anchored-regex":
			params[prm.Name] = "^(/x|/y)$"
		case "port":
			params[prm.Name] = "1080"
		}
	}
	prog, err := parsed.Resolve(params)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fs := range prog.bound {
		for _, f := range fs {
			n += checkAnchored(t, f)
		}
	}
	if n < 10 {
		t.Errorf("only %d regexes found", n)
	}
}

func checkAnchored(t *testing.T, f *bfilter) int {
	n := 0
	if f.kind == "regex" {
		n++
		if !strings.HasPrefix(f.s, "^") || !strings.HasSuffix(f.s, "$") {
			t.Errorf("regex %q is not anchored at both ends", f.s)
		}
	}
	for _, s := range f.sub {
		n += checkAnchored(t, s)
	}
	return n
}
