//go:build linux

package run

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/permc/permc/backend/bwrap"
)

// A file created while the walk reads its directory must not be cached as
// "no match": the result is stored only if no directory changed.
func TestGlobCacheIgnoresChangesDuringTheWalk(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "d"), 0o755)
	c := newGlobCache(t.TempDir(), []byte("policy"))
	scan := bwrap.GlobScan{Base: root, Pattern: "**/*.env", MaxDepth: 3}
	planting := &plantingFS{FS: bwrap.HostFS{}, dir: filepath.Join(root, "d")}
	if _, diags := c.Expand(planting, []bwrap.GlobScan{scan}, bwrap.GlobOptions{}); diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, ok := c.load(scan); ok {
		t.Fatal("a walk that raced with a change was cached")
	}
	// Without a change it is cached, and the cache sees the planted file.
	res, _ := c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
	if _, ok := c.load(scan); !ok {
		t.Fatal("an unchanged walk was not cached")
	}
	if len(res[0].Matches) != 1 {
		t.Fatalf("matches %+v, want the planted .env", res[0].Matches)
	}
}

// plantingFS creates a .env in dir right after reading it once.
type plantingFS struct {
	bwrap.FS
	dir  string
	done bool
}

func (p *plantingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := p.FS.ReadDir(name)
	if name == p.dir && !p.done {
		p.done = true
		os.WriteFile(filepath.Join(p.dir, ".env"), []byte("x"), 0o644)
	}
	return ents, err
}

// permc's own placeholders come and go in workspace roots, moving their
// ctime; an unchanged listing still validates the cache, a changed one
// does not.
func TestGlobCacheSurvivesPlaceholderChurn(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "src"), 0o755)
	c := newGlobCache(t.TempDir(), []byte("policy"))
	scan := bwrap.GlobScan{Base: root, Pattern: "**/*.env", MaxDepth: 3}
	c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
	time.Sleep(10 * time.Millisecond)
	os.Mkdir(filepath.Join(root, ".codex"), 0o755)
	os.Remove(filepath.Join(root, ".codex"))
	if _, ok := c.load(scan); !ok {
		t.Fatal("placeholder churn invalidated the cache")
	}
	os.WriteFile(filepath.Join(root, "new.env"), nil, 0o644)
	if _, ok := c.load(scan); ok {
		t.Fatal("a new file did not invalidate the cache")
	}
}
