package bwrap

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// A deny-glob match that is gone when the plan is resolved means the tree
// changed since the scan: resolving fails at the glob's line instead of
// leaving the file unmasked wherever it went. A dangling link is not gone.
func TestGlobMatchGoneSinceTheScan(t *testing.T) {
	ws := realTemp(t)
	os.WriteFile(filepath.Join(ws, "a.env"), []byte("x"), 0o644)
	os.Symlink(filepath.Join(ws, "nowhere"), filepath.Join(ws, "dangling.env"))
	p := workspacePolicy(rule(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 9))
	p.FS.GlobScanMaxDepth = 3
	plan, _ := Compile(p)
	stale := func(fsys FS, scans []GlobScan, o GlobOptions) ([]GlobResult, diag.List) {
		res, ds := ExpandGlobs(fsys, scans, o)
		// The scan saw a file that has moved away since.
		res[0].Matches = append(res[0].Matches, GlobMatch{Path: filepath.Join(ws, "moved.env")})
		return res, ds
	}
	_, diags := Resolve(plan, Binding{WorkspaceRoots: []string{ws}},
		Options{MaskFile: maskFile(t), Expand: stale})
	if !diags.HasErrors() || !strings.Contains(diags.Sorted()[0].Message, "moved.env is gone since the scan") {
		t.Errorf("diagnostics %v, want the vanished match refused", diags)
	}
	res, diags := Resolve(plan, Binding{WorkspaceRoots: []string{ws}}, Options{MaskFile: maskFile(t)})
	if diags.HasErrors() {
		t.Fatalf("a dangling link among the matches: %v", diags)
	}
	if len(res.Globs) != 1 {
		t.Fatalf("globs %+v", res.Globs)
	}
}

// A FIFO where a pointer file belongs (a .git file, a worktree's gitdir)
// is refused at once: opening it for reading would wait for a writer.
func TestHostReadFileRefusesAFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gitdir")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := HostFS{}.ReadFile(p)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("read a FIFO as a pointer file")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadFile blocked on a FIFO")
	}
}
