//go:build linux

package run

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
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

// A file planted deep in the tree, with the directory's mtime put back,
// invalidates the entry: the ctime moved and the listing differs.
func TestGlobCacheSeesDeepChangeWithMtimeReset(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	os.MkdirAll(deep, 0o755)
	c := newGlobCache(t.TempDir(), []byte("policy"))
	scan := bwrap.GlobScan{Base: root, Pattern: "**/*.env", MaxDepth: 5}
	if _, d := c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{}); d.HasErrors() {
		t.Fatal(d)
	}
	if _, ok := c.load(scan); !ok {
		t.Fatal("not cached")
	}
	fi, _ := os.Stat(deep)
	os.WriteFile(filepath.Join(deep, "s.env"), nil, 0o644)
	os.Chtimes(deep, fi.ModTime(), fi.ModTime())
	if _, ok := c.load(scan); ok {
		t.Fatal("a planted file with the mtime reset still validated the cache")
	}
	res, _ := c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
	if len(res[0].Matches) != 1 {
		t.Fatalf("matches %+v, want the planted .env", res[0].Matches)
	}
}

// A truncated or altered entry is a miss, never a result.
func TestGlobCacheEntryEncoding(t *testing.T) {
	e := &cacheEntry{
		Result: bwrap.GlobResult{Scan: bwrap.GlobScan{Base: "/w", Pattern: "**/*.env"}, Visited: 3,
			Matches: []bwrap.GlobMatch{{Path: "/w/a/.env"}}},
		Dirs: []dirStamp{{Path: "/w", Dev: 1, Ino: 2, Ctime: 3, Names: [16]byte{4}},
			{Path: "/w/a", Dev: 1, Ino: 5, Ctime: -6}, {Path: "/w/b", Dev: 7}},
	}
	data, err := encodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeEntry(data)
	if err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for n := 0; n < len(data); n++ {
		if _, err := decodeEntry(data[:n]); err == nil {
			t.Fatalf("a truncated entry (%d of %d bytes) decoded", n, len(data))
		}
	}
}
