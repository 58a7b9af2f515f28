package run

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Every symlink met while resolving a path is in its chain, in any
// component, so a link the sandbox could replace is caught wherever it is.
func TestResolutionChain(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "opt", "real")
	os.MkdirAll(real, 0o755)
	os.WriteFile(filepath.Join(real, "permc"), []byte("x"), 0o755)
	ws := filepath.Join(root, "ws")
	os.MkdirAll(ws, 0o755)
	// /opt/x -> ws/l -> opt/real: the middle link lives in the workspace.
	os.Symlink(real, filepath.Join(ws, "l"))
	os.Symlink(filepath.Join(ws, "l"), filepath.Join(root, "opt", "x"))
	// A relative link in the last component too.
	os.Symlink("x/permc", filepath.Join(root, "opt", "p"))

	got := resolutionChain(filepath.Join(root, "opt", "p"))
	for _, want := range []string{
		filepath.Join(root, "opt", "p"),
		filepath.Join(root, "opt", "x"),
		filepath.Join(ws, "l"),
		filepath.Join(real, "permc"),
	} {
		if !slices.Contains(got, want) {
			t.Errorf("chain %v lacks %s", got, want)
		}
	}
	if got := resolutionChain(filepath.Join(real, "permc")); len(got) != 1 {
		t.Errorf("a path with no link has the chain %v", got)
	}
	missing := filepath.Join(root, "opt", "x", "nosuch", "f")
	if got := resolutionChain(missing); !slices.Contains(got, filepath.Join(real, "nosuch", "f")) {
		t.Errorf("chain of a missing path %v lacks where it would be", got)
	}
}
