package bwrap

import (
	"testing"

	"github.com/permc/permc/ir"
)

// typicalPolicy is :workspace with a few carve-outs and a deny glob.
func typicalPolicy() *ir.Policy {
	p := workspacePolicy(rule(ir.BaseHome, ".ssh", ir.Deny, 5), rule(ir.BaseHome, ".aws", ir.Deny, 6),
		rule(ir.BaseWorkspaceRoots, ".devcontainer", ir.Read, 7),
		rule(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 8), rule(ir.BaseMinimal, "", ir.Read, 9))
	p.FS.GlobScanMaxDepth = 3
	return p
}

func BenchmarkCompile(b *testing.B) {
	p := typicalPolicy()
	for b.Loop() {
		if _, diags := Compile(p); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

// BenchmarkResolve reports the mount count of each case profile on a
// small workspace, and the time to load it.
func BenchmarkResolve(b *testing.B) {
	profiles := caseProfiles()
	profiles["typical"] = typicalPolicy()
	for _, name := range []string{"typical", "restricted-root-write", "deny-file-in-readable-dir",
		"glob-many-matches", "many-file-masks"} {
		b.Run(name, func(b *testing.B) {
			ws := realTemp(b)
			mkTree(b, ws, "src/a.go", "notes/secret.txt", "private/k", ".env", "a/b/.env", "data/x/cache/f")
			plan, _ := Compile(profiles[name])
			opts := Options{MaskFile: maskFile(b), PinLinks: true}
			bind := Binding{Home: realTemp(b), WorkspaceRoots: []string{ws}}
			var res *Resolved
			for b.Loop() {
				r, d := Resolve(plan, bind, opts)
				if d.HasErrors() {
					b.Fatal(d)
				}
				res = r
			}
			b.ReportMetric(float64(res.Mounts), "mounts")
		})
	}
}
