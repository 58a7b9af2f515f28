package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/passes"
)

// A link in a writable root that a rule grants write through, swapped
// from a harmless folder to permc's own (config and state) between the
// self-protection check and Resolve: the check passes, and the resolved
// plan, which would bind permc's folder read-write, is refused.
func TestPlanHeldToGuardedPaths(t *testing.T) {
	// Under /var/tmp, which has the sticky bit (some machines' /tmp has
	// not, and permc refuses inputs there).
	dir, err := os.MkdirTemp("/var/tmp", "permc-guarded-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	base, _ := filepath.EvalSymlinks(dir)
	ws, state, harmless := filepath.Join(base, "ws"), filepath.Join(base, "state"), filepath.Join(base, "harmless")
	for _, d := range []string{ws, state, harmless} {
		os.MkdirAll(d, 0o755)
	}
	cfg := filepath.Join(state, "profile.toml")
	os.WriteFile(cfg, []byte(`default_permissions = "p"
[permissions.p.filesystem]
":minimal" = "read"
":workspace_roots" = { "." = "read", "out" = "write" }
`), 0o644)
	c, diags := frontend.Load(frontend.Options{Files: []string{cfg}})
	res := passes.Run(c, passes.Options{})
	if diags.HasErrors() || res.SelectedPolicy() == nil {
		t.Fatal(diags, res.Diags)
	}
	out := filepath.Join(ws, "out")
	plan := func(target, swapped string) error {
		os.Remove(out)
		if err := os.Symlink(target, out); err != nil {
			t.Fatal(err)
		}
		o := &Options{Policy: res.SelectedPolicy(), Dir: ws, StateDir: state, Protected: []string{cfg},
			Home: filepath.Join(base, "home"), Tmpdir: filepath.Join(base, "tmp")}
		b := o.binding()
		if err := o.checkSelfProtection(b, []string{state}); err != nil {
			return err
		}
		// The sandbox's swap lands here, between the check and Resolve.
		os.Remove(out)
		os.Symlink(swapped, out)
		r, _, err := o.resolve(b, func() []bwrap.Mask { return nil }, false)
		if err != nil {
			return err
		}
		return o.checkPlanGuarded(r)
	}
	if err := plan(harmless, harmless); err != nil {
		t.Fatalf("no swap: %v", err)
	}
	if err := plan(harmless, state); err == nil || !strings.Contains(err.Error(), "by the mount plan as resolved") {
		t.Fatalf("swapped to permc's folder: %v", err)
	}
}
