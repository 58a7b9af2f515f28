package bwrap

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permc/permc/ir"
)

// BenchmarkResolveExamples resolves every compiled example of golden/ on
// a scratch workspace and reports its mount count next to the time.
func BenchmarkResolveExamples(b *testing.B) {
	files, _ := filepath.Glob("../../golden/*/*/policy.json")
	if len(files) == 0 {
		b.Fatal("no golden policies")
	}
	home := b.TempDir()
	ws := filepath.Join(home, "ws")
	os.MkdirAll(ws, 0o755)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		p, err := ir.ReadPolicy(data)
		if err != nil || p.Unrestricted {
			continue
		}
		plan, diags := Compile(p)
		if diags.HasErrors() {
			continue // an example Linux refuses (see examples/limits.txt)
		}
		name := strings.TrimPrefix(filepath.Dir(f), "../../golden/")
		b.Run(name, func(b *testing.B) {
			var res *Resolved
			for i := 0; i < b.N; i++ {
				var ds interface{ HasErrors() bool }
				res, ds = Resolve(plan, Binding{Home: home, WorkspaceRoots: []string{ws}}, Options{})
				if ds.HasErrors() {
					b.Fatalf("cannot resolve: %v", ds)
				}
			}
			b.ReportMetric(float64(res.Mounts), "mounts")
		})
	}
}
