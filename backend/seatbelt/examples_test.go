package seatbelt_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/permc/permc/backend/seatbelt"
	gen "github.com/permc/permc/backend/seatbelt/seatbelttest"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/macos"
)

// TestExamplesAgreeWithDecide compiles every resolved policy of the
// repository's examples (golden/*/*/policy.json, written by permc build)
// and checks the evaluator against ir.Decide on two machines: an ordinary
// one and one whose workspace is a linked worktree.
func TestExamplesAgreeWithDecide(t *testing.T) {
	files, err := filepath.Glob("../../golden/*/*/policy.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example policies found (%v)", err)
	}
	worktree := dev
	worktree.LinkedGitDirs = map[string]string{dev.WorkspaceRoots[0]: "/Users/dev/code/main/.git/worktrees/app"}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(f)))+"/"+filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			p := readPolicy(t, f)
			prof, err := seatbelt.Compile(p)
			if p.Unrestricted {
				if !errors.Is(err, seatbelt.ErrUnrestricted) {
					t.Errorf("unrestricted policy: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range []ir.Binding{dev, worktree} {
				bound, err := macos.Bind(prof.SBPL, &prof.Manifest, macos.FromBinding(b))
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range gen.Compare(p, b, bound.Program, gen.Probes(p, b)) {
					t.Errorf("%s", m)
				}
			}
		})
	}
}

func readPolicy(t *testing.T, path string) *ir.Policy {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := gen.DecodePolicy(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}
