//go:build linux

package run

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"syscall"
	"testing"

	"github.com/permc/permc/ir"
)

// referenceCandidates is the plain walk secretCandidates replaced:
// os.ReadDir and an os.Lstat of every entry.
func referenceCandidates(b ir.Binding) []string {
	rootOnly := func(p string) bool {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode().Perm()&0o004 != 0 || !(fi.IsDir() || fi.Mode().IsRegular()) {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		return ok && st.Uid == 0
	}
	var out []string
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			if rootOnly(p) && !holdsRoot(p, b.WorkspaceRoots) {
				out = append(out, p)
				continue
			}
			if e.IsDir() && depth < ir.RootSecretDepth {
				walk(p, depth+1)
			}
		}
	}
	for _, dir := range ir.RootSecretDirs {
		if rootOnly(dir) && !holdsRoot(dir, b.WorkspaceRoots) {
			out = append(out, dir)
			continue
		}
		walk(dir, 1)
	}
	sort.Strings(out)
	return dropNested(out)
}

// The concurrent walk finds on this machine what the plain walk finds,
// with and without a workspace root inside one of the directories.
func TestSecretCandidatesMatchReference(t *testing.T) {
	for _, roots := range [][]string{{t.TempDir()}, {"/opt/permc-test-ws", "/etc/ssl"}} {
		b := ir.Binding{WorkspaceRoots: roots}
		got, want := secretCandidates(b, everywhere), referenceCandidates(b)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("roots %v:\ngot  %q\nwant %q", roots, got, want)
		}
	}
}

func BenchmarkSecretCandidates(b *testing.B) {
	bd := ir.Binding{WorkspaceRoots: []string{b.TempDir()}}
	b.Run("concurrent", func(b *testing.B) {
		for b.Loop() {
			secretCandidates(bd, everywhere)
		}
	})
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			referenceCandidates(bd)
		}
	})
}

func everywhere(string) (bool, bool) { return true, true }
