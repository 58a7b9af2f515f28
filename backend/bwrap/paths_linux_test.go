//go:build linux

package bwrap

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// kernelReal resolves p through the kernel: the path of what opening it
// reaches, or ok false when the lookup fails.
func kernelReal(p string) (string, bool) {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", false
	}
	defer unix.Close(fd)
	real, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	return real, err == nil
}

// A link's ".." climbs from where the part before it leads, as the kernel
// resolves it; a ".." after a missing part fails. Cleaning the target as
// text would make "/nonexistent/../dir" a real folder for the mount plan
// while the kernel finds the link dangling.
func TestCanonicalDotDotAsTheKernel(t *testing.T) {
	dir, _ := filepath.EvalSymlinks(t.TempDir())
	os.MkdirAll(filepath.Join(dir, "a/b"), 0o755)
	os.Symlink("a/b", filepath.Join(dir, "s"))
	os.Symlink("/nonexistent/.."+dir+"/a", filepath.Join(dir, "dangling"))
	os.Symlink("s/../..", filepath.Join(dir, "up2"))
	os.Symlink("s/..", filepath.Join(dir, "up1"))
	for _, c := range []struct{ path, want string }{
		{"up2", dir}, {"up1", dir + "/a"}, {"up2/a/b", dir + "/a/b"}, {"s/../b", dir + "/a/b"},
	} {
		got, err := Canonical(dir + "/" + c.path) // not cleaned as text
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.path, got, err, c.want)
		}
		if k, ok := kernelReal(dir + "/" + c.path); !ok || k != c.want {
			t.Errorf("%s: the kernel says %q (%v)", c.path, k, ok)
		}
	}
	if got, err := Canonical(filepath.Join(dir, "dangling")); !errors.Is(err, errDotDotMissing) {
		t.Errorf("dangling: %q, %v", got, err)
	}
}

// Random trees of folders and links whose targets mix names, "." and
// "..": wherever the kernel finds a path, canonical finds the same one,
// and wherever canonical says it exists, the kernel finds it.
func TestCanonicalAgreesWithTheKernel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	names := []string{"a", "b", "c", "l", "m"}
	part := func() string {
		switch r := rng.Intn(10); {
		case r < 2:
			return ".."
		case r < 3:
			return "."
		default:
			return names[rng.Intn(len(names))]
		}
	}
	for round := range 150 {
		dir, _ := filepath.EvalSymlinks(t.TempDir())
		var paths []string
		for range 12 {
			var comps []string
			for range 1 + rng.Intn(3) {
				comps = append(comps, names[rng.Intn(len(names))])
			}
			p := filepath.Join(dir, strings.Join(comps, "/"))
			paths = append(paths, p)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if rng.Intn(2) == 0 {
				os.Mkdir(p, 0o755)
				continue
			}
			var tgt []string
			for range 1 + rng.Intn(4) {
				tgt = append(tgt, part())
			}
			target := strings.Join(tgt, "/")
			if rng.Intn(3) == 0 {
				target = dir + "/" + target
			}
			os.Symlink(target, p)
		}
		for _, p := range paths {
			for _, q := range []string{p, p + "/a", p + "/../b"} {
				res, err := canonical(HostFS{}, q)
				k, ok := kernelReal(q)
				switch {
				case ok && (err != nil || res.Real != k):
					t.Fatalf("round %d: %s: canonical %q, %v; the kernel %q", round, q, res.Real, err, k)
				case !ok && err == nil && res.Type != typeMissing:
					t.Fatalf("round %d: %s: canonical finds %q, the kernel nothing", round, q, res.Real)
				}
			}
		}
	}
}
