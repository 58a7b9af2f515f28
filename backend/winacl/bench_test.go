package winacl

import (
	"testing"

	"github.com/permc/permc/ir"
)

// typical is a :workspace profile with a domain allowlist, a deny glob
// and a home carve-out: what most users run.
func typical() *ir.Policy {
	p := withNet(workspace(), true, true)
	p.FS.Rules = append(p.FS.Rules, rl(ir.BaseMinimal, "", ir.Read, 7),
		rl(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 8), rl(ir.BaseHome, ".ssh", ir.Deny, 9))
	p.FS.GlobScanMaxDepth = 3
	return p
}

func BenchmarkCompile(b *testing.B) {
	p := typical()
	for b.Loop() {
		m, err := Compile(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.JSON(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResolve(b *testing.B) {
	m, err := Compile(typical())
	if err != nil {
		b.Fatal(err)
	}
	d := testDisk(b)
	for b.Loop() {
		if _, err := m.Resolve(ir.ModeElevated, testBinding(), d); err != nil {
			b.Fatal(err)
		}
	}
}
