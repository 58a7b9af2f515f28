package bwrap

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/ir"
)

// hostProbes are paths outside the test trees every comparison also asks
// about.
var hostProbes = []string{"/", "/usr/bin/env", "/bin/sh", "/etc/passwd", "/opt", "/opt/report.txt",
	"/var/tmp", "/srv", "/new-top-level"}

// probes returns the paths to compare below root: every path in the tree
// and a fresh name inside every directory.
func probes(t testing.TB, roots ...string) []string {
	out := append([]string(nil), hostProbes...)
	for _, root := range roots {
		out = append(out, root, filepath.Join(root, "fresh-name"))
		for _, rel := range listTree(t, root) {
			p := filepath.Join(root, rel)
			out = append(out, p)
			if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
				out = append(out, filepath.Join(p, "fresh-name"))
			}
		}
	}
	return out
}

// verdict is what a comparison looks at: read and write for an existing
// path, create for a missing one.
type verdict struct {
	Read, Write bool
}

func (v verdict) String() string { return fmt.Sprintf("r=%v w=%v", v.Read, v.Write) }

// mismatches compares the simulated sandbox with ir.Decide at each path.
func mismatches(p *ir.Policy, res *Resolved, paths []string) map[string]string {
	sim := Simulate(res)
	b := res.Binding()
	out := map[string]string{}
	for _, path := range paths {
		s := sim.Look(path)
		if s.Private {
			continue
		}
		d := ir.Decide(p, ir.Linux, b, path)
		want := verdict{Read: d.Read, Write: d.Write}
		got := verdict{Read: s.Read, Write: s.Write}
		if !s.Exists {
			want.Read = false
		}
		if want != got {
			out[path] = fmt.Sprintf("decide %v, sandbox %v (exists=%v)", want, got, s.Exists)
		}
	}
	return out
}

func TestSimulatedPlanEqualsDecide(t *testing.T) {
	tests := []struct {
		name  string
		tree  []string
		rules func(ws string) *ir.Policy
	}{
		{"workspace", []string{".git/config", "src/a.go", "notes/"},
			func(string) *ir.Policy { return workspacePolicy() }},
		{"workspace without metadata", []string{"src/a.go"},
			func(string) *ir.Policy { return workspacePolicy() }},
		{"restricted root", []string{"src/a.go", ".codex/config.toml"},
			func(string) *ir.Policy { return restrictedPolicy() }},
		{"deny file and dir in readable", []string{"notes/secret.txt", "notes/public.txt", "private/key.pem"},
			func(string) *ir.Policy {
				return &ir.Policy{FS: ir.FSPolicy{Rules: []ir.FSRule{
					rule(ir.BaseMinimal, "", ir.Read, 1), rule(ir.BaseWorkspaceRoots, "", ir.Read, 2),
					rule(ir.BaseWorkspaceRoots, "notes/secret.txt", ir.Deny, 3),
					rule(ir.BaseWorkspaceRoots, "private", ir.Deny, 4)}}}
			}},
		{"deny in writable", []string{"notes/secret.txt", "notes/public.txt", "private/key.pem"},
			func(string) *ir.Policy {
				return restrictedPolicy(rule(ir.BaseWorkspaceRoots, "notes/secret.txt", ir.Deny, 5),
					rule(ir.BaseWorkspaceRoots, "private", ir.Deny, 6))
			}},
		{"reopen under deny", []string{"docs/a", "docs/codex/b", "docs/codex/deep/c", "docs/other/d"},
			func(ws string) *ir.Policy {
				return workspacePolicy(rule(ir.BaseAbs, ws+"/docs", ir.Deny, 5),
					rule(ir.BaseAbs, ws+"/docs/codex/deep", ir.Write, 6))
			}},
		{"read carve-out and missing deny", []string{".devcontainer/x", "src/"},
			func(string) *ir.Policy {
				return restrictedPolicy(rule(ir.BaseWorkspaceRoots, ".devcontainer", ir.Read, 5),
					rule(ir.BaseWorkspaceRoots, "build/out/secret", ir.Deny, 6),
					rule(ir.BaseWorkspaceRoots, "cache", ir.Read, 7))
			}},
		{"deny glob with depth", []string{"a.env", "x/b.env", "x/y/c.env", "x/y/z/d.env",
			"data/x/cache/f", "data/y/cache/g/h"},
			func(string) *ir.Policy {
				p := workspacePolicy(rule(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 5),
					rule(ir.BaseWorkspaceRoots, "data/*/cache/**", ir.Deny, 6))
				p.FS.GlobScanMaxDepth = 3
				return p
			}},
		{"explicit write on metadata", []string{".git/HEAD", ".codex/c"},
			func(string) *ir.Policy {
				return workspacePolicy(rule(ir.BaseWorkspaceRoots, ".git", ir.Write, 5))
			}},
		{"root written as a path", []string{"a/b"},
			func(string) *ir.Policy {
				return &ir.Policy{FS: ir.FSPolicy{Rules: []ir.FSRule{
					rule(ir.BaseAbs, "/", ir.Read, 1), rule(ir.BaseWorkspaceRoots, "a", ir.Write, 2)}}}
			}},
		{"root deny beats root read at equal depth", []string{"a/b"},
			func(string) *ir.Policy {
				return &ir.Policy{FS: ir.FSPolicy{Rules: []ir.FSRule{rule(ir.BaseRoot, "", ir.Deny, 1),
					rule(ir.BaseAbs, "/", ir.Read, 2), rule(ir.BaseMinimal, "", ir.Read, 3),
					rule(ir.BaseWorkspaceRoots, "a", ir.Write, 4)}}}
			}},
		{"deny root write workspace read", []string{"a/b"},
			func(ws string) *ir.Policy {
				return &ir.Policy{FS: ir.FSPolicy{Rules: []ir.FSRule{
					rule(ir.BaseWorkspaceRoots, "", ir.Read, 1), rule(ir.BaseAbs, ws+"/a", ir.Write, 2)}}}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := realTemp(t)
			mkTree(t, ws, tc.tree...)
			p := tc.rules(ws)
			res := resolveOK(t, p, Binding{WorkspaceRoots: []string{ws}}, Options{})
			if probs := Simulate(res).Problems; len(probs) > 0 {
				t.Errorf("simulation problems: %v", probs)
			}
			if diff := cmp.Diff(map[string]string{}, mismatches(p, res, probes(t, ws))); diff != "" {
				t.Errorf("sandbox differs from ir.Decide (-want +got):\n%s\nops:\n%s", diff, opsText(res))
			}
		})
	}
}

func opsText(res *Resolved) string {
	s := ""
	for _, o := range res.Ops {
		s += o.String() + "\n"
	}
	return s
}
