package landlock_test

// These tests hold Landlock against ir.Decide, alone (it must grant at
// least what the policy allows) and combined with the mount plan's
// simulator (together they must equal the policy). They import the bwrap
// backend, in tests only, since the two layers are judged together.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/backend/landlock"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

func rule(base ir.BaseKind, p string, a ir.Access, line int) ir.FSRule {
	return ir.FSRule{Base: base, Path: p, Access: a, Glob: ir.HasGlobMeta(p),
		Origin: ir.Origin{Pos: diag.Pos{File: "config.toml", Line: line}}}
}

// genTree creates a random tree below root and returns its paths.
func genTree(rng *rand.Rand, root string) []string {
	names := []string{"a", "b", "src", ".git", ".codex", "x.env", "k.key", "cache"}
	var made []string
	var grow func(dir string, depth int)
	grow = func(dir string, depth int) {
		for i := rng.IntN(4); i >= 0; i-- {
			rel := filepath.Join(dir, names[rng.IntN(len(names))])
			p := filepath.Join(root, rel)
			if _, err := os.Lstat(p); err == nil {
				continue
			}
			if depth < 4 && rng.IntN(2) == 0 {
				if os.Mkdir(p, 0o755) == nil {
					made = append(made, rel)
					grow(rel, depth+1)
				}
				continue
			}
			if os.WriteFile(p, []byte(rel), 0o644) == nil {
				made = append(made, rel)
			}
		}
	}
	grow("", 1)
	return made
}

// genPolicy draws a random Linux policy over the tree's paths.
func genPolicy(rng *rand.Rand, ws, tmp string, rels []string) *ir.Policy {
	accs := []ir.Access{ir.Read, ir.Write, ir.Deny}
	p := &ir.Policy{Name: "random", Net: ir.DefaultNetPolicy()}
	line := 1
	add := func(base ir.BaseKind, path string, a ir.Access) {
		p.FS.Rules = append(p.FS.Rules, rule(base, path, a, line))
		line++
	}
	if n := rng.IntN(4); n < 3 {
		add(ir.BaseRoot, "", accs[n])
		if accs[n] == ir.Write {
			// permc's state (the mask file) must stay out of reach.
			add(ir.BaseAbs, "/var/tmp", ir.Read)
		}
	}
	if rng.IntN(3) > 0 {
		add(ir.BaseMinimal, "", ir.Read)
	}
	if n := rng.IntN(4); n < 3 {
		add(ir.BaseWorkspaceRoots, "", accs[n])
	}
	if n := rng.IntN(4); n < 3 {
		add(ir.BaseTmpdir, "", accs[n])
	}
	for i := rng.IntN(6); i > 0; i-- {
		rel := "missing/" + fmt.Sprint(i)
		if len(rels) > 0 && rng.IntN(5) > 0 {
			rel = rels[rng.IntN(len(rels))]
		}
		add(ir.BaseWorkspaceRoots, rel, accs[rng.IntN(3)])
	}
	globs := []string{"**/*.env", "*/k.key", "a/**", "**/b", "*/cache/**"}
	for i := rng.IntN(3); i > 0; i-- {
		add(ir.BaseWorkspaceRoots, globs[rng.IntN(len(globs))], ir.Deny)
	}
	p.FS.GlobScanMaxDepth = rng.IntN(5)
	p.FS.ProtectMetadata = rng.IntN(2) == 0
	return p
}

// probes are the paths compared: the tree's, a fresh name in each
// directory, the tmpdir, and a few of the host's.
func probes(roots ...string) []string {
	out := []string{"/", "/usr/bin/env", "/bin/sh", "/etc/passwd", "/opt", "/opt/report.txt", "/srv"}
	for _, root := range roots {
		_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err == nil {
				out = append(out, p)
				if fi.IsDir() {
					out = append(out, filepath.Join(p, "fresh-name"))
				}
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

// known reports the mount plan's documented divergences: a grant, or a
// :minimal entry, at a path that does not exist.
func known(d ir.Decision) bool {
	if d.By == nil || d.By.Access == ir.Deny && d.By.Kind != ir.MatchMinimal {
		return false
	}
	_, err := os.Lstat(d.By.Path)
	return err != nil
}

type layers struct {
	sim *bwrap.Sim
	ll  *landlock.Resolved
}

// landlockAt judges p with Landlock alone, at the real path the sandbox
// reaches; for a missing path, creating it in its nearest existing
// ancestor.
func (l layers) landlockAt(p string) (read, write bool) {
	s := l.sim.Look(p)
	if s.Exists {
		return l.ll.CanRead(s.Real, s.Dir), l.ll.CanWrite(s.Real, s.Dir)
	}
	for q := filepath.Dir(p); ; q = filepath.Dir(q) {
		if a := l.sim.Look(q); a.Exists {
			return false, a.Dir && l.ll.CanWrite(a.Real, true)
		}
		if q == "/" {
			return false, false
		}
	}
}

func TestLandlockAndMountsEqualDecide(t *testing.T) {
	const seeds = 250
	failures := 0
	for seed := uint64(1); seed <= seeds && failures < 5; seed++ {
		failures += compareSeed(t, seed)
	}
}

// compareSeed returns the number of failures it reported.
func compareSeed(t *testing.T, seed uint64) int {
	rng := rand.New(rand.NewPCG(seed, 99))
	ws, tmp := tempDir(t), tempDir(t)
	state, err := os.MkdirTemp("/var/tmp", "permc-state-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(state)
	p := genPolicy(rng, ws, tmp, genTree(rng, ws))
	plan, _ := bwrap.Compile(p)
	mask, err := bwrap.EnsureMaskFile(state)
	if err != nil {
		t.Fatal(err)
	}
	res, diags := bwrap.Resolve(plan, bwrap.Binding{Tmpdir: tmp, WorkspaceRoots: []string{ws}},
		bwrap.Options{MaskFile: mask, PinLinks: true})
	if diags.HasErrors() {
		t.Errorf("seed %d: resolve: %v", seed, diags)
		return 1
	}
	rs, diags := landlock.Compile(p)
	if diags.HasErrors() {
		t.Fatalf("seed %d: compile: %v", seed, diags)
	}
	b := res.Binding()
	llres, _ := landlock.Resolve(rs, b)
	l := layers{sim: bwrap.Simulate(res), ll: llres}
	for _, path := range probes(ws, tmp) {
		d := ir.Decide(p, ir.Linux, b, path)
		if msg := l.judge(path, d); msg != "" && !known(d) {
			t.Errorf("seed %d: %s: %s\nrules: %+v\nops: %q", seed, path, msg, p.FS.Rules, res.Args())
			return 1
		}
	}
	return 0
}

// judge compares one path; it returns what went wrong, or "".
func (l layers) judge(path string, d ir.Decision) string {
	s := l.sim.Look(path)
	if s.Private {
		return ""
	}
	lr, lw := l.landlockAt(path)
	wantR, wantW := d.Read && s.Exists, d.Write
	switch {
	case wantR && !lr, wantW && !lw:
		return fmt.Sprintf("landlock denies what ir.Decide allows: decide r=%v w=%v, landlock r=%v w=%v",
			wantR, wantW, lr, lw)
	case (s.Read && lr) != wantR, (s.Write && lw) != wantW:
		return fmt.Sprintf("combined r=%v w=%v, decide r=%v w=%v (mounts r=%v w=%v)",
			s.Read && lr, s.Write && lw, wantR, wantW, s.Read, s.Write)
	}
	return ""
}

func tempDir(t *testing.T) string {
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDevicesFollowDecide checks the sandbox's own /dev, which the mount
// simulator does not model: Landlock alone must match ir.Decide there.
func TestDevicesFollowDecide(t *testing.T) {
	p := &ir.Policy{FS: ir.FSPolicy{Rules: []ir.FSRule{rule(ir.BaseRoot, "", ir.Deny, 1),
		rule(ir.BaseMinimal, "", ir.Read, 2)}}}
	rs, _ := landlock.Compile(p)
	res, _ := landlock.Resolve(rs, ir.Binding{})
	for _, dev := range []string{"/dev/null", "/dev/zero", "/dev/urandom", "/dev/tty", "/dev/pts/0",
		"/dev/full", "/dev/shm/x", "/dev/sda"} {
		d := ir.Decide(p, ir.Linux, ir.Binding{}, dev)
		got := fmt.Sprint(res.CanRead(dev, false), res.CanWrite(dev, false))
		if want := fmt.Sprint(d.Read, d.Write); got != want {
			t.Errorf("%s: landlock %s, decide %s", dev, got, want)
		}
	}
	if !strings.Contains(fmt.Sprint(res.Paths), "/proc") || !res.CanRead("/proc/1/status", false) {
		t.Error("the sandbox's /proc must be readable, children included")
	}
}
