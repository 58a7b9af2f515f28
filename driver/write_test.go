package driver_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/permc/permc/driver"
)

func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func build(folders map[string]map[string][]byte) *driver.Build {
	return &driver.Build{Folders: folders}
}

// TestWriteReplaces writes over a fresh path, then over its own output:
// the old folders go, nothing is left beside the output, and a folder
// permc did not write is refused.
func TestWriteReplaces(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	first := build(map[string]map[string][]byte{
		"a": {"x.json": []byte("1\n"), "y.json": []byte("2\n")},
		"b": {"z.json": []byte("3\n")},
	})
	if err := first.Write(dir); err != nil {
		t.Fatal(err)
	}
	second := build(map[string]map[string][]byte{"c": {"w.json": []byte("4\n")}})
	if err := second.Write(dir); err != nil {
		t.Fatal(err)
	}
	got := listTree(t, dir)
	want := []string{".", driver.Marker, "c", "c/w.json"}
	if len(got) != len(want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("tree %v, want %v", got, want)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "c", "w.json")); string(data) != "4\n" {
		t.Errorf("w.json = %q", data)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 {
		t.Errorf("left beside the output: %v", ents)
	}

	foreign := filepath.Join(parent, "foreign")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "keep"), nil, 0o644)
	if err := second.Write(foreign); err == nil {
		t.Error("replaced a folder permc did not write")
	}
	if _, err := os.Stat(filepath.Join(foreign, "keep")); err != nil {
		t.Error(err)
	}
}

// TestWriteSymlink replaces a symbolic link to an output folder with the
// new output, leaving the folder it pointed to alone.
func TestWriteSymlink(t *testing.T) {
	parent := t.TempDir()
	target := filepath.Join(parent, "target")
	b := build(map[string]map[string][]byte{"a": {"x.json": []byte("1\n")}})
	if err := b.Write(target); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(parent, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if err := b.Write(link); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.IsDir() {
		t.Errorf("link is not the new folder: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(target, "a", "x.json")); err != nil {
		t.Errorf("the link's target lost its files: %v", err)
	}
}
