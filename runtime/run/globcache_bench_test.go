//go:build linux

package run

import (
	"os"
	"testing"

	"github.com/permc/permc/backend/bwrap"
)

// BenchmarkGlobCache times a first walk with the cache cold and a load of
// a valid entry, over the tree PERMC_GLOB_TREE names (for instance the one
// permc-bench generates).
func BenchmarkGlobCache(b *testing.B) {
	root := os.Getenv("PERMC_GLOB_TREE")
	if root == "" {
		b.Skip("PERMC_GLOB_TREE names a tree to walk")
	}
	scan := bwrap.GlobScan{Base: root, Pattern: "**/*.env", MaxDepth: 8}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			c := newGlobCache(b.TempDir(), []byte("policy"))
			if _, d := c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{}); d.HasErrors() {
				b.Fatal(d)
			}
		}
	})
	b.Run("repeat", func(b *testing.B) {
		c := newGlobCache(b.TempDir(), []byte("policy"))
		c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
		for b.Loop() {
			if _, ok := c.load(scan); !ok {
				b.Fatal("not cached")
			}
		}
	})
}
