//go:build linux

package run

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/internal/version"
)

// globCache remembers what each deny glob matched, so that a command on an
// unchanged tree does not pay for the walk again. An entry is keyed by the
// profile's hash, permc's version and the scan, and is valid while every
// directory the walk read keeps its (device, inode, ctime). Directory mtimes
// can be reset from inside the sandbox; ctimes cannot, since changing the
// mtime changes the ctime. The cache lives in permc's state directory,
// outside every writable root.
type globCache struct {
	dir    string
	policy string // hash of the policy
}

type dirStamp struct {
	Path  string `json:"path"`
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Ctime int64  `json:"ctime_ns"`
	// Names hashes the directory's entries (name and type) as the walk
	// read them. The walk depends on nothing else, so when the ctime moved
	// (permc's own placeholders come and go in workspace roots) an equal
	// listing still validates the entry.
	Names string `json:"names"`
}

type cacheEntry struct {
	Result bwrap.GlobResult `json:"result"`
	Dirs   []dirStamp       `json:"dirs"`
}

func newGlobCache(state string, policyJSON []byte) *globCache {
	sum := sha256.Sum256(policyJSON)
	return &globCache{dir: filepath.Join(state, "globcache"), policy: hex.EncodeToString(sum[:])}
}

func (c *globCache) key(s bwrap.GlobScan) string {
	k, _ := json.Marshal([]any{version.Version, c.policy, s.Base, s.Pattern, s.MaxDepth})
	sum := sha256.Sum256(k)
	return filepath.Join(c.dir, hex.EncodeToString(sum[:16])+".json")
}

// Expand is bwrap.Options.Expand with the cache in front of the walk.
func (c *globCache) Expand(fsys bwrap.FS, scans []bwrap.GlobScan, o bwrap.GlobOptions) ([]bwrap.GlobResult, diag.List) {
	out := make([]bwrap.GlobResult, len(scans))
	var miss []int
	for i, s := range scans {
		if r, ok := c.load(s); ok {
			out[i] = r
			continue
		}
		miss = append(miss, i)
	}
	if len(miss) == 0 {
		return out, nil
	}
	var diags diag.List
	for _, i := range miss {
		rec := &recordingFS{FS: fsys}
		res, ds := bwrap.ExpandGlobs(rec, scans[i:i+1], o)
		diags = append(diags, ds...)
		out[i] = res[0]
		if !ds.HasErrors() {
			c.store(scans[i], res[0], rec.stamps())
		}
	}
	return out, diags
}

func (c *globCache) load(s bwrap.GlobScan) (bwrap.GlobResult, bool) {
	data, err := os.ReadFile(c.key(s))
	if err != nil {
		return bwrap.GlobResult{}, false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || len(e.Dirs) == 0 {
		return bwrap.GlobResult{}, false
	}
	for _, d := range e.Dirs {
		now, ok := stamp(d.Path)
		if !ok {
			return bwrap.GlobResult{}, false
		}
		if now.Dev == d.Dev && now.Ino == d.Ino && now.Ctime == d.Ctime {
			continue
		}
		ents, err := os.ReadDir(d.Path)
		if err != nil || namesHash(ents) != d.Names {
			return bwrap.GlobResult{}, false
		}
	}
	return e.Result, true
}

func namesHash(ents []fs.DirEntry) string {
	h := sha256.New()
	for _, e := range ents {
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), e.Type())
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// store records a walk's result with the stamps each directory had just
// before it was read; if any directory changed since, the walk may have
// missed an entry, and nothing is stored.
func (c *globCache) store(s bwrap.GlobScan, r bwrap.GlobResult, before []dirStamp) {
	e := cacheEntry{Result: r}
	for _, b := range before {
		now, ok := stamp(b.Path)
		if !ok || now.Dev != b.Dev || now.Ino != b.Ino || now.Ctime != b.Ctime {
			return
		}
		e.Dirs = append(e.Dirs, b)
	}
	if len(e.Dirs) == 0 {
		return
	}
	data, err := json.Marshal(&e)
	if err != nil || os.MkdirAll(c.dir, 0o700) != nil {
		return
	}
	tmp := c.key(s) + ".tmp"
	if os.WriteFile(tmp, data, 0o600) == nil {
		os.Rename(tmp, c.key(s))
	}
}

func stamp(p string) (dirStamp, bool) {
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return dirStamp{}, false
	}
	return dirStamp{Path: p, Dev: st.Dev, Ino: st.Ino, Ctime: st.Ctim.Nano()}, true
}

// recordingFS stamps every directory the walk reads, just before reading
// it, so a change during the walk is seen when the result is stored.
type recordingFS struct {
	bwrap.FS
	mu     sync.Mutex
	before []dirStamp
	bad    bool
}

func (r *recordingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	st, ok := stamp(name)
	ents, err := r.FS.ReadDir(name)
	st.Names = namesHash(ents)
	r.mu.Lock()
	if ok && err == nil {
		r.before = append(r.before, st)
	} else {
		r.bad = true
	}
	r.mu.Unlock()
	return ents, err
}

// stamps returns the stamps taken, or nil when a directory could not be
// stamped (nothing is then cached).
func (r *recordingFS) stamps() []dirStamp {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bad {
		return nil
	}
	return append([]dirStamp(nil), r.before...)
}
