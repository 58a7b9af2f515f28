package bwrap

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// sights returns what the simulator finds at each path, as a compact
// string per path: "-" missing, "r" readable, "w" writable, "p" pinned.
func sights(res *Resolved, paths ...string) map[string]string {
	sim := Simulate(res)
	out := map[string]string{}
	for _, p := range paths {
		s := sim.Look(p)
		v := ""
		if !s.Exists {
			v = "-"
		}
		if s.Read {
			v += "r"
		}
		if s.Write {
			v += "w"
		}
		if s.Pinned {
			v += "p"
		}
		out[p] = v
	}
	return out
}

func TestSymlinks(t *testing.T) {
	tests := []struct {
		name   string
		tree   []string
		policy func(ws, out string) *ir.Policy
		pin    bool
		// errs are the expected errors; want maps paths (relative to ws
		// unless absolute after "@") to sights.
		errs []string
		msg  string
		want map[string]string
	}{{
		name: "rule crosses a writable link",
		tree: []string{"real/secret", "link -> real"},
		policy: func(string, string) *ir.Policy {
			return restrictedPolicy(rule(ir.BaseWorkspaceRoots, "link/secret", ir.Deny, 7))
		},
		errs: []string{"config.toml:7: load"},
		msg:  "crosses the symlink",
	}, {
		name: "rule crosses a read-only link",
		tree: []string{"@out/real/secret", "@out/real/public", "@out/link -> real"},
		policy: func(ws, out string) *ir.Policy {
			return restrictedPolicy(rule(ir.BaseAbs, out, ir.Read, 6), rule(ir.BaseAbs, out+"/link/secret", ir.Deny, 7))
		},
		want: map[string]string{"@out/link/secret": "p", "@out/real/secret": "p", "@out/link/public": "r"},
	}, {
		name:   "codex links inside the workspace, pinned",
		tree:   []string{"settings/config.toml", ".codex -> settings"},
		policy: func(string, string) *ir.Policy { return workspacePolicy() },
		pin:    true,
		want: map[string]string{".codex": "rp", ".codex/config.toml": "r", "settings/new": "-",
			".codex/new": "-", "src": "-w"},
	}, {
		name:   "codex link refused without pins",
		tree:   []string{"settings/config.toml", ".codex -> settings"},
		policy: func(string, string) *ir.Policy { return workspacePolicy() },
		errs:   []string{"<builtin>: load"},
		msg:    "cannot pin it",
	}, {
		name:   "agents link to a nested directory",
		tree:   []string{"tools/agents/a.md", ".agents -> tools/agents"},
		policy: func(string, string) *ir.Policy { return workspacePolicy() },
		pin:    true,
		want:   map[string]string{".agents/a.md": "r", "tools/agents/a.md": "r", "tools/other": "-w"},
	}, {
		name:   "git links outside the workspace",
		tree:   []string{"@out/gitdir/HEAD", "src/a.go"},
		policy: func(string, string) *ir.Policy { return workspacePolicy() },
		pin:    true,
		want:   map[string]string{".git/HEAD": "r", "@out/gitdir/HEAD": "r", "@out/gitdir/new": "-", "src/a.go": "rw"},
	}, {
		name:   "chained writable link is refused",
		tree:   []string{"settings/c", "mid -> settings", ".codex -> mid"},
		policy: func(string, string) *ir.Policy { return workspacePolicy() },
		pin:    true,
		errs:   []string{"<builtin>: load"},
		msg:    "crosses the symlink",
	}, {
		name: "glob match that is a link masks its target",
		tree: []string{"@out/secret/id", "id.key -> @out/secret/id", "plain.key"},
		policy: func(string, string) *ir.Policy {
			p := workspacePolicy(rule(ir.BaseWorkspaceRoots, "*.key", ir.Deny, 7))
			p.FS.GlobScanMaxDepth = 1
			return p
		},
		want: map[string]string{"id.key": "p", "@out/secret/id": "p", "plain.key": "p"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws, out := realTemp(t), realTemp(t)
			for _, e := range tc.tree {
				e = strings.ReplaceAll(e, "@out", out)
				if strings.HasPrefix(e, out) {
					mkTree(t, "/", e)
					continue
				}
				mkTree(t, ws, e)
			}
			if tc.name == "git links outside the workspace" {
				must(t, os.Symlink(out+"/gitdir", ws+"/.git"))
			}
			plan, _ := Compile(tc.policy(ws, out))
			res, diags := Resolve(plan, Binding{WorkspaceRoots: []string{ws}},
				Options{MaskFile: maskFile(t), PinLinks: tc.pin})
			if diff := cmp.Diff(tc.errs, errorLines(diags)); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\n%v", diff, diags)
			}
			if tc.errs != nil {
				if !strings.Contains(diags.Errors()[0].Message, tc.msg) {
					t.Errorf("message %q does not say %q", diags.Errors()[0].Message, tc.msg)
				}
				return
			}
			want, paths := map[string]string{}, []string{}
			for k, v := range tc.want {
				p := strings.ReplaceAll(k, "@out", out)
				if !filepath.IsAbs(p) {
					p = filepath.Join(ws, p)
				}
				want[p] = v
				paths = append(paths, p)
			}
			if diff := cmp.Diff(want, sights(res, paths...)); diff != "" {
				t.Errorf("sandbox (-want +got):\n%s\nops:\n%s", diff, opsText(res))
			}
		})
	}
}

func TestSymlinkMessageNamesLinkAndTarget(t *testing.T) {
	ws := realTemp(t)
	mkTree(t, ws, "settings/c", ".codex -> settings")
	plan, _ := Compile(workspacePolicy())
	_, diags := Resolve(plan, Binding{WorkspaceRoots: []string{ws}}, Options{MaskFile: maskFile(t)})
	want := fmt.Sprintf("protected %s/.codex is a symlink to %s/settings in a writable directory", ws, ws)
	if len(diags.Errors()) != 1 || !strings.HasPrefix(diags.Errors()[0].Message, want) {
		t.Errorf("got %v, want one error starting %q", diags, want)
	}
}

func TestPinsAreReported(t *testing.T) {
	ws := realTemp(t)
	mkTree(t, ws, "settings/c", ".codex -> settings")
	res := resolveOK(t, workspacePolicy(), Binding{WorkspaceRoots: []string{ws}}, Options{PinLinks: true})
	want := []Pin{{Link: ws + "/.codex", Content: "settings", Origin: ir.Origin{Profile: ":workspace"}}}
	if diff := cmp.Diff(want, res.Pins); diff != "" {
		t.Errorf("pins (-want +got):\n%s", diff)
	}
}

// mkWorktree makes ws a linked worktree of main, pointing back unless
// forged.
func mkWorktree(t *testing.T, ws, main string, forged bool) string {
	gitdir := filepath.Join(main, ".git", "worktrees", "feature")
	mkTree(t, gitdir, "HEAD", "commondir")
	must(t, os.WriteFile(filepath.Join(ws, ".git"), []byte("gitdir: "+gitdir+"\n"), 0o644))
	back := filepath.Join(ws, ".git")
	if forged {
		back = "/elsewhere/.git"
	}
	must(t, os.WriteFile(filepath.Join(gitdir, "gitdir"), []byte(back+"\n"), 0o644))
	return gitdir
}

func TestLinkedWorktree(t *testing.T) {
	tests := []struct {
		name   string
		forged bool
		policy func(main string) *ir.Policy
		want   string // the gitdir's HEAD
		linked bool
	}{
		{"restricted root keeps the gitdir readable", false,
			func(string) *ir.Policy { p := restrictedPolicy(); p.FS.ProtectMetadata = true; return p }, "r", true},
		{"explicit write on the common dir wins", false,
			func(main string) *ir.Policy {
				p := restrictedPolicy(rule(ir.BaseAbs, main+"/.git", ir.Write, 7))
				p.FS.ProtectMetadata = true
				return p
			}, "rw", true},
		{"workspace keeps it read-only in a writable tmp", false,
			func(string) *ir.Policy { return workspacePolicy() }, "r", true},
		{"forged pointer widens nothing", true,
			func(string) *ir.Policy { p := restrictedPolicy(); p.FS.ProtectMetadata = true; return p }, "-", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws, main := realTemp(t), realTemp(t)
			mkTree(t, ws, "src/a.go")
			gitdir := mkWorktree(t, ws, main, tc.forged)
			p := tc.policy(main)
			res := resolveOK(t, p, Binding{WorkspaceRoots: []string{ws}}, Options{})
			if _, ok := res.LinkedGitDirs[ws]; ok != tc.linked {
				t.Errorf("linked = %v, want %v", ok, tc.linked)
			}
			head := filepath.Join(gitdir, "HEAD")
			got := sights(res, head, filepath.Join(ws, ".git"))
			want := map[string]string{head: tc.want, filepath.Join(ws, ".git"): "rp"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sandbox (-want +got):\n%s\nops:\n%s", diff, opsText(res))
			}
			if diff := cmp.Diff(map[string]string{}, mismatches(p, res, probes(t, ws, main))); diff != "" {
				t.Errorf("sandbox differs from ir.Decide (-want +got):\n%s", diff)
			}
		})
	}
}

// failFS fails ReadDir below one directory.
type failFS struct {
	HostFS
	dir string
}

func (f failFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if within(name, f.dir) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.HostFS.ReadDir(name)
}

func TestLoadDiagnostics(t *testing.T) {
	keys := make([]string, 300)
	for i := range keys {
		keys[i] = fmt.Sprintf("d%d/k%d.key", i%7, i)
	}
	tests := []struct {
		name  string
		tree  []string
		rules []ir.FSRule
		b     func(ws string) Binding
		opts  func(ws string) Options
		errs  []string
		notes int
	}{
		{"mount cap at the glob's line", keys, []ir.FSRule{rule(ir.BaseWorkspaceRoots, "**/*.key", ir.Deny, 9)},
			nil, func(string) Options { return Options{MountCap: 100} }, []string{"config.toml:9: load"}, 0},
		{"within the mount cap", keys[:200], []ir.FSRule{rule(ir.BaseWorkspaceRoots, "**/*.key", ir.Deny, 9)},
			nil, nil, nil, 0},
		{"match cap at the glob's line", keys, []ir.FSRule{rule(ir.BaseWorkspaceRoots, "**/*.key", ir.Deny, 9)},
			nil, func(string) Options { return Options{MatchCap: 50} }, []string{"config.toml:9: load"}, 0},
		{"unreadable directory is an error", []string{"a/b/c.key"},
			[]ir.FSRule{rule(ir.BaseWorkspaceRoots, "**/*.key", ir.Deny, 9)}, nil,
			func(ws string) Options { return Options{FS: failFS{dir: ws + "/a"}} }, []string{"config.toml:9: load"}, 0},
		{"home deny without home", nil, []ir.FSRule{rule(ir.BaseHome, ".ssh", ir.Deny, 8)},
			func(ws string) Binding { return Binding{WorkspaceRoots: []string{ws}} }, nil,
			[]string{"config.toml:8: load"}, 0},
		{"tmpdir deny without tmpdir is satisfied", nil, []ir.FSRule{rule(ir.BaseTmpdir, "", ir.Deny, 8)},
			func(ws string) Binding { return Binding{WorkspaceRoots: []string{ws}} }, nil, nil, 1},
		{"bad pattern", nil, []ir.FSRule{rule(ir.BaseWorkspaceRoots, "[a-/x", ir.Deny, 6)},
			nil, nil, []string{"config.toml:6: load"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := realTemp(t)
			mkTree(t, ws, tc.tree...)
			p := workspacePolicy(tc.rules...)
			p.FS.GlobScanMaxDepth = 3
			b := Binding{WorkspaceRoots: []string{ws}, Home: "/home/dev"}
			if tc.b != nil {
				b = tc.b(ws)
			}
			opts := Options{}
			if tc.opts != nil {
				opts = tc.opts(ws)
			}
			opts.MaskFile = maskFile(t)
			plan, _ := Compile(p)
			res, diags := Resolve(plan, b, opts)
			if diff := cmp.Diff(tc.errs, errorLines(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\n%v", diff, diags)
			}
			if (res == nil) != (tc.errs != nil) {
				t.Errorf("resolved = %v with errors %v", res != nil, tc.errs)
			}
			if n := countSeverity(diags, diag.Note); n != tc.notes {
				t.Errorf("%d notes, want %d: %v", n, tc.notes, diags)
			}
		})
	}
}

func countSeverity(l diag.List, s diag.Severity) int {
	n := 0
	for _, d := range l {
		if d.Severity == s {
			n++
		}
	}
	return n
}

func TestMountCapCountsOnlyMounts(t *testing.T) {
	ws := realTemp(t)
	var tree []string
	for i := range 200 {
		tree = append(tree, fmt.Sprintf("k%03d.key", i))
	}
	mkTree(t, ws, tree...)
	p := workspacePolicy(rule(ir.BaseWorkspaceRoots, "**/*.key", ir.Deny, 9))
	p.FS.GlobScanMaxDepth = 4
	res := resolveOK(t, p, Binding{WorkspaceRoots: []string{ws}}, Options{PinLinks: true})
	n := 0
	for _, o := range res.Ops {
		if o.isMount() {
			n++
		}
	}
	if n != res.Mounts || res.Mounts < 200 || res.Mounts > DefaultMountCap {
		t.Errorf("mounts = %d, counted %d; want 200 masks within %d", res.Mounts, n, DefaultMountCap)
	}
}

func TestErrorsNeverInternal(t *testing.T) {
	// User mistakes are load errors, never bugs.
	ws := realTemp(t)
	mkTree(t, ws, "link -> link", "a -> b", "b -> a")
	p := restrictedPolicy(rule(ir.BaseWorkspaceRoots, "link/x", ir.Deny, 5),
		rule(ir.BaseWorkspaceRoots, "a/x", ir.Read, 6))
	plan, _ := Compile(p)
	_, diags := Resolve(plan, Binding{WorkspaceRoots: []string{ws}}, Options{MaskFile: maskFile(t)})
	if !diags.HasErrors() {
		t.Fatal("symlink loops resolved without error")
	}
	for _, d := range diags {
		if d.Code == diag.Internal {
			t.Errorf("internal diagnostic for user input: %v", d)
		}
		if !strings.Contains(d.Message, errLoop.Error()) {
			t.Errorf("message %q does not name the loop", d.Message)
		}
	}
}

func TestProtectedLinkBelowALinkedRoot(t *testing.T) {
	out := realTemp(t)
	mkTree(t, out, "real/settings/c", "real/.codex -> settings", "ws -> real")
	p := restrictedPolicy(rule(ir.BaseAbs, out, ir.Read, 5))
	p.FS.ProtectMetadata = true
	res := resolveOK(t, p, Binding{WorkspaceRoots: []string{out + "/ws"}}, Options{PinLinks: true})
	want := []Pin{{Link: out + "/real/.codex", Content: "settings", Origin: p.FS.ProtectOrigin}}
	if diff := cmp.Diff(want, res.Pins); diff != "" {
		t.Errorf("pins (-want +got):\n%s", diff)
	}
	got := sights(res, out+"/ws/.codex/c", out+"/ws/settings/new", out+"/ws/new")
	wantS := map[string]string{out + "/ws/.codex/c": "r", out + "/ws/settings/new": "-", out + "/ws/new": "-w"}
	if diff := cmp.Diff(wantS, got); diff != "" {
		t.Errorf("sandbox (-want +got):\n%s\nops:\n%s", diff, opsText(res))
	}
}
