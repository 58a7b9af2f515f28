package frontend_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// FuzzCompile feeds arbitrary documents through the frontend and the
// passes: no input may panic, and every input yields either policies or
// at least one error, never an internal error.
func FuzzCompile(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/*/*.toml")
	more, _ := filepath.Glob("../passes/testdata/diag/*.toml")
	for _, s := range append(seeds, more...) {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("[permissions.a]\nextends = \"a\"\n"))
	f.Add([]byte("[permissions.p.filesystem.\"~/x\"]\n\"[\" = \"deny\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(string) ([]byte, error) { return data, nil }
		cfg, diags := frontend.Load(frontend.Options{Files: []string{"f.toml"}, ReadFile: read})
		if diags.HasErrors() {
			assertPositioned(t, diags)
			return
		}
		res := passes.Run(cfg, passes.Options{})
		for _, p := range res.Policies {
			for _, tg := range ir.Targets {
				res.Diags = append(res.Diags, passes.Enforceability(p, tg)...)
			}
		}
		for _, d := range res.Diags {
			if d.Code == diag.Internal {
				t.Fatalf("internal error: %s", d)
			}
		}
		if !res.Diags.HasErrors() && res.Selected == "" {
			t.Fatalf("no errors but nothing selected")
		}
	})
}

func assertPositioned(t *testing.T, diags diag.List) {
	for _, d := range diags.Errors() {
		if d.Pos.File != "f.toml" || d.Pos.Line < 1 {
			t.Fatalf("error without a position: %s", d)
		}
	}
}
