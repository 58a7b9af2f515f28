package bwrap

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// at gives a rule a position, so diagnostics can be checked by line.
func at(line int) ir.Origin {
	return ir.Origin{Pos: diag.Pos{File: "config.toml", Line: line}, Profile: "p"}
}

func rule(base ir.BaseKind, p string, a ir.Access, line int) ir.FSRule {
	return ir.FSRule{Base: base, Path: p, Access: a, Glob: ir.HasGlobMeta(p), Origin: at(line)}
}

// workspacePolicy is :workspace as the passes produce it.
func workspacePolicy(extra ...ir.FSRule) *ir.Policy {
	rules := []ir.FSRule{
		rule(ir.BaseRoot, "", ir.Read, 1), rule(ir.BaseWorkspaceRoots, "", ir.Write, 2),
		rule(ir.BaseTmpdir, "", ir.Write, 3), rule(ir.BaseSlashTmp, "", ir.Write, 4),
	}
	return &ir.Policy{Name: "p", FS: ir.FSPolicy{Rules: append(rules, extra...),
		ProtectMetadata: true, ProtectOrigin: ir.Origin{Profile: ":workspace"}}}
}

// restrictedPolicy denies the root and reopens :minimal and the workspace.
func restrictedPolicy(extra ...ir.FSRule) *ir.Policy {
	rules := []ir.FSRule{
		rule(ir.BaseRoot, "", ir.Deny, 1), rule(ir.BaseMinimal, "", ir.Read, 2),
		rule(ir.BaseWorkspaceRoots, "", ir.Write, 3),
	}
	return &ir.Policy{Name: "p", FS: ir.FSPolicy{Rules: append(rules, extra...)}}
}

// mkTree creates entries below root: "d/" a directory, "f" a file holding
// its own name, "l -> target" a symlink.
func mkTree(t testing.TB, root string, entries ...string) {
	t.Helper()
	for _, e := range entries {
		if name, target, ok := strings.Cut(e, " -> "); ok {
			p := filepath.Join(root, name)
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.Symlink(target, p))
			continue
		}
		p := filepath.Join(root, e)
		if strings.HasSuffix(e, "/") {
			must(t, os.MkdirAll(p, 0o755))
			continue
		}
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte("content of "+e+"\n"), 0o644))
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// realTemp returns a temporary directory with symlinks resolved.
func realTemp(t testing.TB) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	return d
}

// listTree returns every path below root, relative, sorted.
func listTree(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p != root {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	must(t, err)
	sort.Strings(out)
	return out
}

// resolveOK compiles and resolves p, failing on any error.
func resolveOK(t testing.TB, p *ir.Policy, b Binding, opts Options) *Resolved {
	t.Helper()
	plan, diags := Compile(p)
	if diags.HasErrors() {
		t.Fatalf("compile: %v", diags)
	}
	if opts.MaskFile == "" {
		opts.MaskFile = maskFile(t)
	}
	res, diags := Resolve(plan, b, opts)
	if diags.HasErrors() {
		t.Fatalf("resolve: %v", diags)
	}
	return res
}

// maskFile returns a mode-0000 empty file in a private directory outside
// /tmp, which the test policies make writable.
func maskFile(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "permc-state-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The user running bwrap must reach it, as in a real state directory.
	must(t, os.Chmod(dir, 0o755))
	p, err := EnsureMaskFile(dir)
	must(t, err)
	return p
}

// errorLines returns "line: code" of each error, sorted.
func errorLines(l diag.List) []string {
	var out []string
	for _, d := range l.Errors() {
		out = append(out, d.Pos.String()+": "+string(d.Code))
	}
	sort.Strings(out)
	return out
}
