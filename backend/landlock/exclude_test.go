package landlock

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/permc/permc/ir"
)

// TestExclude leaves a subtree out of a read grant on an ancestor: the
// evaluator then sees directory rights only there, full rights beside it,
// and narrower grants inside it untouched.
func TestExclude(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"usr/bin", "dev/pts", "dev/input", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"dev/null", "dev/sda", "dev/pts/0", "dev/pts/1", "top-file"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("dev", filepath.Join(root, "devlink")); err != nil {
		t.Fatal(err)
	}
	read := setOf(FS, groupRights(GroupRead))
	write := setOf(FS, groupRights(GroupWrite))
	r := &Resolved{HandledFS: setOf(FS, allOf(FS)), Paths: []ResolvedPath{
		{Path: root, Rights: read, Origin: ir.Origin{Profile: "p"}},
		{Path: filepath.Join(root, "dev/null"), Rights: write},
		{Path: filepath.Join(root, "dev/pts/1"), Rights: write},
	}}
	if err := r.Exclude(filepath.Join(root, "dev")); err != nil {
		t.Fatal(err)
	}
	j := func(p string) string { return filepath.Join(root, p) }
	cases := []struct {
		path      string
		dir       bool
		read, wrt bool
	}{
		{"usr/bin", true, true, false},
		{"etc", true, true, false},
		{"top-file", false, true, false},
		{"dev", true, true, false}, // listing stays
		{"dev/sda", false, false, false},
		{"dev/input", true, true, false},
		{"dev/pts/0", false, false, false},
		{"dev/pts/1", false, true, true},
		{"dev/null", false, true, true},
		{"newly-created-file", false, false, false},
	}
	for _, c := range cases {
		if got := r.CanRead(j(c.path), c.dir); got != c.read {
			t.Errorf("CanRead(%s) = %v, want %v", c.path, got, c.read)
		}
		if got := r.CanWrite(j(c.path), c.dir); got != c.wrt {
			t.Errorf("CanWrite(%s) = %v, want %v", c.path, got, c.wrt)
		}
	}
	for _, p := range r.Paths {
		if p.Path == j("devlink") {
			t.Errorf("a symlink got a rule of its own: %+v", p)
		}
	}
	// The rule on the ancestor keeps its directory rights and its origin.
	if r.Has(root, "read_file") || !r.Has(root, "read_dir") {
		t.Errorf("the ancestor has %v, want its directory rights only", namesOf(FS, r.Rights(root)))
	}
	if err := r.Exclude("relative"); err == nil {
		t.Error("a relative path was accepted")
	}
}

func TestExcludeUnrelated(t *testing.T) {
	r := &Resolved{HandledFS: setOf(FS, allOf(FS)), Paths: []ResolvedPath{
		{Path: "/nonexistent-permc/a", Rights: setOf(FS, groupRights(GroupRead))},
	}}
	if err := r.Exclude("/nonexistent-permc/b"); err != nil {
		t.Fatal(err)
	}
	if len(r.Paths) != 1 || r.Paths[0].Path != "/nonexistent-permc/a" {
		t.Errorf("an unrelated rule changed: %+v", r.Paths)
	}
}
