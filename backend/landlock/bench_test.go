package landlock

import (
	"testing"

	"github.com/permc/permc/ir"
)

func BenchmarkCompile(b *testing.B) {
	p := workspacePolicy(rule(ir.BaseHome, ".ssh", ir.Deny, 5), rule(ir.BaseMinimal, "", ir.Read, 6))
	for b.Loop() {
		if _, diags := Compile(p); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

func BenchmarkResolve(b *testing.B) {
	rs, _ := Compile(workspacePolicy(rule(ir.BaseHome, ".ssh", ir.Deny, 5)))
	bind := ir.Binding{Home: "/home/dev", WorkspaceRoots: []string{"/home/dev/ws"}, SlashTmp: true}
	for b.Loop() {
		Resolve(rs, bind)
	}
}
