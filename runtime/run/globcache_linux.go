//go:build linux

package run

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
			c.store(scans[i], res[0], rec.dirs())
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
		if !ok || now != d {
			return bwrap.GlobResult{}, false
		}
	}
	return e.Result, true
}

func (c *globCache) store(s bwrap.GlobScan, r bwrap.GlobResult, dirs []string) {
	e := cacheEntry{Result: r}
	for _, d := range dirs {
		st, ok := stamp(d)
		if !ok {
			return
		}
		e.Dirs = append(e.Dirs, st)
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

// recordingFS notes every directory the walk reads.
type recordingFS struct {
	bwrap.FS
	mu   sync.Mutex
	read []string
}

func (r *recordingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	r.mu.Lock()
	r.read = append(r.read, name)
	r.mu.Unlock()
	return r.FS.ReadDir(name)
}

func (r *recordingFS) dirs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.read...)
}
