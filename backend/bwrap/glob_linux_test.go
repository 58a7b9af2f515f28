//go:build linux

package bwrap

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
)

// genericFS hides HostFS from the walk, so the generic walk runs.
type genericFS struct{ FS }

// The host walk finds what the generic walk finds, on random trees with
// dot files, symlinks to files and directories, and several patterns.
func TestHostWalkMatchesGenericWalk(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	names := []string{"a", "b", ".env", "x.env", "env", ".git", "c.env.bak", "d", "sub.env", "[x]", "q*"}
	for round := 0; round < 20; round++ {
		root := t.TempDir()
		var dirs = []string{root}
		for i := 0; i < 120; i++ {
			parent := dirs[rng.Intn(len(dirs))]
			p := filepath.Join(parent, names[rng.Intn(len(names))])
			switch rng.Intn(4) {
			case 0:
				if os.Mkdir(p, 0o755) == nil {
					dirs = append(dirs, p)
				}
			case 1:
				os.Symlink(dirs[rng.Intn(len(dirs))], p)
			default:
				os.WriteFile(p, nil, 0o644)
			}
		}
		for _, pat := range []string{"**/*.env", "**/.env", "**/env", "*/*.env", "a/**/x.env", "**/a/*.env", "**/{a,b}.env", "**/d", "**/[ab]", "**/*.e?v", "**/q\\*", "**/*"} {
			for _, depth := range []int{0, 2, 4} {
				scan := []GlobScan{{Base: root, Pattern: pat, MaxDepth: depth}}
				var visits atomic.Int64
				host, hd := ExpandGlobs(HostFS{}, scan, GlobOptions{Visit: func(DirVisit) { visits.Add(1) }})
				gen, gd := ExpandGlobs(genericFS{HostFS{}}, scan, GlobOptions{})
				if hd.HasErrors() || gd.HasErrors() {
					t.Fatalf("%s: %v %v", pat, hd, gd)
				}
				if !reflect.DeepEqual(host, gen) {
					t.Fatalf("round %d, %s depth %d:\nhost    %+v\ngeneric %+v", round, pat, depth, host, gen)
				}
				if visits.Load() == 0 {
					t.Fatal("no directory visited")
				}
			}
		}
	}
}

// An unreadable directory is an error, never an empty result.
func TestHostWalkReportsUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a", "locked"), 0o755)
	os.WriteFile(filepath.Join(root, "a", "locked", "x.env"), nil, 0o644)
	os.Chmod(filepath.Join(root, "a", "locked"), 0)
	defer os.Chmod(filepath.Join(root, "a", "locked"), 0o755)
	_, d := ExpandGlobs(HostFS{}, []GlobScan{{Base: root, Pattern: "**/*.env"}}, GlobOptions{})
	if !d.HasErrors() {
		t.Fatal("an unreadable directory was treated as empty")
	}
}

// The match cap holds under the concurrent walk.
func TestHostWalkMatchCap(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 40; i++ {
		d := filepath.Join(root, fmt.Sprint(i%7), fmt.Sprint(i))
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "x.env"), nil, 0o644)
	}
	res, d := ExpandGlobs(HostFS{}, []GlobScan{{Base: root, Pattern: "**/*.env"}}, GlobOptions{MatchCap: 10})
	if !d.HasErrors() || len(res[0].Matches) > 10 {
		t.Fatalf("cap not enforced: %d matches, %v", len(res[0].Matches), d)
	}
}

func BenchmarkHostWalk(b *testing.B) {
	root := os.Getenv("PERMC_GLOB_TREE")
	if root == "" {
		b.Skip("PERMC_GLOB_TREE names a tree to walk")
	}
	scan := []GlobScan{{Base: root, Pattern: "**/*.env", MaxDepth: 8}}
	for _, fs := range []struct {
		name string
		fs   FS
	}{{"host", HostFS{}}, {"generic", genericFS{HostFS{}}}} {
		b.Run(fs.name, func(b *testing.B) {
			for b.Loop() {
				if _, d := ExpandGlobs(fs.fs, scan, GlobOptions{}); d.HasErrors() {
					b.Fatal(d)
				}
			}
		})
	}
}
