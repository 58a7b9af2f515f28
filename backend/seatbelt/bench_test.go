package seatbelt_test

import (
	"fmt"
	"testing"

	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/ir"
)

func BenchmarkCompileTypical(b *testing.B) {
	p := projectEdit()
	p.FS.ProtectMetadata = true
	for b.Loop() {
		if _, err := seatbelt.Compile(p); err != nil {
			b.Fatal(err)
		}
	}
}

// thousandRules mixes grants, denies and globs over all bases.
func thousandRules() *ir.Policy {
	rules := []ir.FSRule{rule(1, ir.BaseMinimal, "", ir.Read), rule(2, ir.BaseRoot, "", ir.Read)}
	bases := []ir.BaseKind{ir.BaseAbs, ir.BaseHome, ir.BaseWorkspaceRoots}
	for i := 0; len(rules) < 1000; i++ {
		b := bases[i%3]
		path := fmt.Sprintf("area-%d/Project %d/file-%d.txt", i%17, i%41, i)
		if b == ir.BaseAbs {
			path = "/Users/dev/" + path
		}
		a := []ir.Access{ir.Read, ir.Write, ir.Deny, ir.Deny}[i%4]
		if i%25 == 0 {
			path, a = fmt.Sprintf("area-%d/**/*.key", i%17), ir.Deny
		}
		rules = append(rules, rule(3+i, b, path, a))
	}
	p := policy(rules...)
	p.FS.ProtectMetadata = true
	return p
}

func BenchmarkCompile1000Rules(b *testing.B) {
	p := thousandRules()
	for b.Loop() {
		if _, err := seatbelt.Compile(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAndResolve1000Rules(b *testing.B) {
	prof, err := seatbelt.Compile(thousandRules())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p, err := seatbelt.Parse(prof.SBPL)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Resolve(map[string]string{}); err == nil {
			b.Fatal("resolved without parameters")
		}
	}
}

func BenchmarkParseTypical(b *testing.B) {
	p := projectEdit()
	p.FS.ProtectMetadata = true
	prof, err := seatbelt.Compile(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(prof.SBPL)))
	for b.Loop() {
		if _, err := seatbelt.Parse(prof.SBPL); err != nil {
			b.Fatal(err)
		}
	}
}
