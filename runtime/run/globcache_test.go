//go:build linux

package run

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/permc/permc/backend/bwrap"
)

// A file created while the walk reads its directory is never missed: the
// walk sees the change and walks again, and only a steady result is used
// and cached.
func TestGlobWalkRepeatsWhenTheTreeChanges(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "d"), 0o755)
	c := newGlobCache(t.TempDir(), []byte("policy"))
	scan := bwrap.GlobScan{Base: root, Pattern: "**/*.env", MaxDepth: 3}
	planting := &plantingFS{FS: bwrap.HostFS{}, dir: filepath.Join(root, "d")}
	res, diags := c.Expand(planting, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(res[0].Matches) != 1 {
		t.Fatalf("matches %+v: the file planted during the walk was missed", res[0].Matches)
	}
	cached, ok := c.load(scan)
	if !ok || len(cached.Matches) != 1 {
		t.Fatalf("cached %v %+v, want the steady walk with the planted .env", ok, cached.Matches)
	}
}

// A tree that changes during every walk is an error, never a result that
// may have holes.
func TestGlobWalkRefusesATreeThatKeepsChanging(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "d"), 0o755)
	c := newGlobCache(t.TempDir(), []byte("policy"))
	scan := bwrap.GlobScan{Base: root, Pattern: "**/*.env", MaxDepth: 3}
	churn := &plantingFS{FS: bwrap.HostFS{}, dir: filepath.Join(root, "d"), always: true}
	_, diags := c.Expand(churn, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
	if !diags.HasErrors() || !strings.Contains(fmt.Sprint(diags), "changed while it was scanned") {
		t.Fatalf("diagnostics %v, want a refusal of the changing tree", diags)
	}
	if _, ok := c.load(scan); ok {
		t.Fatal("a changing tree was cached")
	}
}

// plantingFS creates a .env in dir right after reading it: once, or at
// every read with always.
type plantingFS struct {
	bwrap.FS
	dir    string
	done   bool
	always bool
	n      int
}

func (p *plantingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := p.FS.ReadDir(name)
	if name == p.dir && (p.always || !p.done) {
		p.done = true
		p.n++
		os.WriteFile(filepath.Join(p.dir, fmt.Sprintf("%d.env", p.n)), []byte("x"), 0o644)
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

// On deferred terms an entry is used without looking at its directories,
// and Settled is what catches a change: a match added since fails it and
// says the entry was unverified; a match removed since is a miss at once.
func TestGlobCacheDeferredCheck(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	os.MkdirAll(deep, 0o755)
	os.WriteFile(filepath.Join(root, "a", "x.env"), nil, 0o644)
	state := t.TempDir()
	scan := bwrap.GlobScan{Base: root, Pattern: "**/*.env", MaxDepth: 5}
	first := newGlobCache(state, []byte("policy"))
	if _, d := first.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{}); d.HasErrors() {
		t.Fatal(d)
	}

	deferred := func() *globCache {
		c := newGlobCache(state, []byte("policy"))
		c.Deferred = true
		return c
	}
	c := deferred()
	res, _ := c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
	if len(res[0].Matches) != 1 || !c.Unverified() || !c.Settled(nil) {
		t.Fatalf("unchanged tree: matches %+v, unverified %v, settled %v; want the cached match, unverified, settled",
			res[0].Matches, c.Unverified(), c.Settled(nil))
	}

	os.WriteFile(filepath.Join(deep, "added.env"), nil, 0o644)
	c = deferred()
	res, _ = c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
	if len(res[0].Matches) != 1 || c.Settled(nil) || !c.Unverified() {
		t.Fatalf("added match: matches %+v, settled %v, unverified %v; want the stale entry, caught by Settled",
			res[0].Matches, c.Settled(nil), c.Unverified())
	}
	os.Remove(filepath.Join(deep, "added.env"))

	os.Remove(filepath.Join(root, "a", "x.env"))
	c = deferred()
	res, _ = c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
	if len(res[0].Matches) != 0 || c.Unverified() || !c.Settled(nil) {
		t.Fatalf("removed match: matches %+v, unverified %v; want a fresh walk with no match", res[0].Matches, c.Unverified())
	}
}

// Storing an entry prunes the cache: entries unused for 30 days go, then
// the least recently used beyond 256, and temporary files a dead run left;
// a hit marks its entry as used, so what runs use stays.
func TestGlobCachePrunes(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "a.env"), nil, 0o644)
	state := t.TempDir()
	c := newGlobCache(state, []byte("policy"))
	dir := filepath.Join(state, "globcache")
	os.MkdirAll(dir, 0o700)
	now := time.Now()
	put := func(name string, age time.Duration) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, now.Add(-age), now.Add(-age))
		return p
	}
	var expired, fresh []string
	for i := range 5 {
		expired = append(expired, put(fmt.Sprintf("old%d.bin", i), 31*24*time.Hour))
	}
	for i := range 300 {
		fresh = append(fresh, put(fmt.Sprintf("e%03d.bin", i), time.Duration(i)*time.Minute))
	}
	staleTmp := put("dead.bin.tmp", 2*time.Hour)
	newTmp := put("busy.bin.tmp", time.Second)
	other := put("notes.txt", 365*24*time.Hour)

	scan := bwrap.GlobScan{Base: root, Pattern: "**/*.env", MaxDepth: 2}
	if _, diags := c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{}); diags.HasErrors() {
		t.Fatal(diags)
	}
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }
	if !exists(c.key(scan)) {
		t.Fatal("the entry just stored was pruned")
	}
	for _, p := range expired {
		if exists(p) {
			t.Errorf("%s, unused for 31 days, was kept", filepath.Base(p))
		}
	}
	for i, p := range fresh {
		if want := i < cacheKeep-1; exists(p) != want {
			t.Errorf("%s (used %d minutes ago): kept %v, want %v", filepath.Base(p), i, exists(p), want)
		}
	}
	if exists(staleTmp) || !exists(newTmp) || !exists(other) {
		t.Errorf("stale temporary file kept %v, fresh one kept %v, other file kept %v; want false, true, true",
			exists(staleTmp), exists(newTmp), exists(other))
	}

	old := now.Add(-10 * 24 * time.Hour)
	os.Chtimes(c.key(scan), old, old)
	if _, ok := c.load(scan); !ok {
		t.Fatal("the stored entry missed")
	}
	if info, err := os.Stat(c.key(scan)); err != nil || info.ModTime().Before(now) {
		t.Fatalf("a hit left the entry's time at %v, want it marked as used now", info.ModTime())
	}
}

// An entry is used only when it and its folder are private to the
// caller: one that another user could have written may hide matches.
func TestGlobCacheIgnoresEntriesOthersCouldWrite(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "a.env"), nil, 0o644)
	c := newGlobCache(t.TempDir(), []byte("policy"))
	scan := bwrap.GlobScan{Base: root, Pattern: "**/*.env", MaxDepth: 2}
	if _, diags := c.Expand(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{}); diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, ok := c.load(scan); !ok {
		t.Fatal("a private entry missed")
	}
	for _, tc := range []struct {
		path string
		mode os.FileMode
	}{{c.key(scan), 0o666}, {c.key(scan), 0o620}, {c.dir, 0o777}, {c.dir, 0o777 | os.ModeSticky}} {
		os.Chmod(tc.path, tc.mode)
		if _, ok := c.load(scan); ok {
			t.Errorf("%s with mode %v: the entry was used", tc.path, tc.mode)
		}
		os.Chmod(c.key(scan), 0o600)
		os.Chmod(c.dir, 0o700)
	}
	link := c.key(scan) + ".link"
	os.Link(c.key(scan), link)
	if _, ok := c.load(scan); ok {
		t.Error("an entry with a second name was used")
	}
}
