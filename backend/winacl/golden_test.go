package winacl

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/ir"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from the compiler")

// TestGolden pins windows.json for a few profiles. Review a diff of
// these files as you would a diff of the generated artifact.
func TestGolden(t *testing.T) {
	proxied := withNet(workspace(), true, true)
	proxied.FS.Rules = append(proxied.FS.Rules, rl(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 8))
	proxied.FS.GlobScanMaxDepth = 3
	tests := []struct {
		name string
		p    *ir.Policy
		opts Options
	}{
		{"root-deny", rootDeny(), Options{}},
		{"workspace-proxied", proxied, Options{}},
		{"root-deny-tools", rootDeny(), Options{ToolFolders: DefaultToolFolders}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := CompileWith(tc.p, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.JSON()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".windows.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
			again, _ := CompileWith(tc.p, tc.opts)
			if b, _ := again.JSON(); string(b) != string(got) {
				t.Error("compiling twice gave different bytes")
			}
		})
	}
}
