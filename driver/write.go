package driver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/permc/permc/internal/udiff"
)

// Marker is written at the top of every output folder; permc replaces only
// folders that carry it (or are empty), never someone else's directory.
const Marker = ".permc-build"

// Write replaces dir with the build, atomically: the files are written to
// a sibling temporary directory which is then swapped in, so a crash
// leaves either the old output or the new, and folders of profiles that no
// longer exist disappear with the old output.
func (b *Build) Write(dir string) error {
	if err := checkOwned(dir); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := b.writeTree(tmp); err != nil {
		return err
	}
	// Everything is on disk before the new folder replaces the old one.
	if err := syncTree(tmp); err != nil {
		return err
	}
	return replace(dir, tmp)
}

func checkOwned(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ents) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, Marker)); err != nil {
		return fmt.Errorf("%s exists and was not written by permc build (no %s); refusing to replace it", dir, Marker)
	}
	return nil
}

func (b *Build) writeTree(root string) error {
	if err := os.Chmod(root, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, Marker), []byte("written by permc build; replaced as a whole\n"), 0o644); err != nil {
		return err
	}
	for _, folder := range sortedKeys(b.Folders) {
		d := filepath.Join(root, folder)
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		for name, data := range b.Folders[folder] {
			if err := os.WriteFile(filepath.Join(d, name), data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// swap moves tmp into place of dir.
func swap(dir, tmp string) error {
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// Compare returns a unified diff per file that differs between the build
// and dir (missing and extra files included), sorted by path.
func (b *Build) Compare(dir string) ([]string, error) {
	want := map[string][]byte{}
	for folder, files := range b.Folders {
		for n, c := range files {
			want[filepath.Join(folder, n)] = c
		}
	}
	have := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return nil
			}
			return err
		}
		if d.IsDir() || d.Name() == Marker {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		have[rel] = data
		return err
	})
	if err != nil {
		return nil, err
	}
	var diffs []string
	for _, p := range union(want, have) {
		w, inW := want[p]
		h, inH := have[p]
		switch {
		case !inH:
			diffs = append(diffs, udiff.Diff("/dev/null", filepath.Join(dir, p), nil, w))
		case !inW:
			diffs = append(diffs, udiff.Diff(filepath.Join(dir, p), "/dev/null", h, nil))
		default:
			if d := udiff.Diff(filepath.Join(dir, p), filepath.Join(dir, p)+" (compiled)", h, w); d != "" {
				diffs = append(diffs, d)
			}
		}
	}
	return diffs, nil
}

func union(a, b map[string][]byte) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
