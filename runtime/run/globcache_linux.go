//go:build linux

package run

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/internal/version"
	"golang.org/x/sys/unix"
)

// globCache remembers what each deny glob matched, so that a command on an
// unchanged tree does not pay for the walk again. An entry is keyed by the
// profile's hash, permc's version and the scan, and is valid while every
// directory the walk read keeps its (device, inode, ctime). Directory mtimes
// can be reset from inside the sandbox; ctimes cannot, since changing the
// mtime changes the ctime. The cache lives in permc's state directory,
// outside every writable root.
type globCache struct {
	dir        string
	policyJSON func() []byte
	once       sync.Once
	policy     string // hash of the policy, from policyJSON on first use
	// used are the stamps of every directory whose listing this run's
	// globs rest on (Settled checks them again).
	used []dirStamp
	// Deferred lets an entry be used before its stamps are checked:
	// Settled, which runs once the mounts are made, is then the only
	// check, and unverified says that a failed Settled may only mean the
	// entry was out of date.
	Deferred   bool
	unverified bool
}

// cacheFormat names the entry format; it is part of the key, so entries of
// another format are never read.
const cacheFormat = "permc-globcache-2"

type dirStamp struct {
	Path  string
	Dev   uint64
	Ino   uint64
	Ctime int64 // nanoseconds
	// Names hashes the directory's entries (name and type) as the walk
	// read them ([bwrap.HashDirExcept]). The walk depends on nothing else, so
	// when the ctime moved (permc's own placeholders come and go in
	// workspace roots) an equal listing still validates the entry.
	Names [16]byte
}

type cacheEntry struct {
	Result bwrap.GlobResult
	Dirs   []dirStamp
}

func newGlobCache(state string, policyJSON []byte) *globCache {
	return newLazyGlobCache(state, func() []byte { return policyJSON })
}

// newLazyGlobCache hashes the policy only when a deny glob asks for the
// cache.
func newLazyGlobCache(state string, policyJSON func() []byte) *globCache {
	return &globCache{dir: filepath.Join(state, "globcache"), policyJSON: policyJSON}
}

func (c *globCache) key(s bwrap.GlobScan) string {
	c.once.Do(func() {
		sum := sha256.Sum256(c.policyJSON())
		c.policy = hex.EncodeToString(sum[:])
	})
	k, _ := json.Marshal([]any{cacheFormat, version.Version, c.policy, s.Base, s.Pattern, s.MaxDepth})
	sum := sha256.Sum256(k)
	return filepath.Join(c.dir, hex.EncodeToString(sum[:16])+".bin")
}

// Expand is bwrap.Options.Expand with the cache in front of the walk.
func (c *globCache) Expand(fsys bwrap.FS, scans []bwrap.GlobScan, o bwrap.GlobOptions) ([]bwrap.GlobResult, diag.List) {
	out := make([]bwrap.GlobResult, len(scans))
	var miss []int
	for i, s := range scans {
		if r, dirs, ok := c.loadStamps(s); ok {
			out[i] = r
			c.used = append(c.used, dirs...)
			continue
		}
		miss = append(miss, i)
	}
	if len(miss) == 0 {
		return out, nil
	}
	var diags diag.List
	for _, i := range miss {
		res, ds := c.walkSteady(fsys, scans[i], o)
		diags = append(diags, ds...)
		out[i] = res
	}
	return out, diags
}

// walkAttempts bounds how often a scan is walked again because its tree
// changed while it was walked.
const walkAttempts = 3

// walkSteady walks one scan until a walk sees a tree that did not change
// while it was walked, and stores that result. A walk is not atomic: a
// directory renamed from one place to another mid-walk can be missed at
// both, with a matching file in it (another sandbox can do that on
// purpose). Each directory's stamp is taken just before it is read, so a
// change afterwards moves its ctime; a tree that keeps changing is an
// error, never a result with holes.
func (c *globCache) walkSteady(fsys bwrap.FS, s bwrap.GlobScan, o bwrap.GlobOptions) (bwrap.GlobResult, diag.List) {
	for attempt := 1; ; attempt++ {
		var (
			res  []bwrap.GlobResult
			ds   diag.List
			dirs []dirStamp
		)
		if _, host := fsys.(bwrap.HostFS); host {
			res, ds, dirs = c.walkHost(s, o)
		} else {
			rec := &recordingFS{FS: fsys}
			res, ds = bwrap.ExpandGlobs(rec, []bwrap.GlobScan{s}, o)
			dirs = rec.stamps()
			if dirs == nil {
				// A disk that cannot say whether it changed: as walked.
				return res[0], ds
			}
		}
		if ds.HasErrors() {
			return res[0], ds
		}
		if unchanged(dirs) {
			c.store(s, res[0], dirs)
			c.used = append(c.used, dirs...)
			return res[0], ds
		}
		if attempt == walkAttempts {
			var out diag.List
			out.Errorf(s.Origin.Pos, diag.Load,
				"%s %q: the tree changed while it was scanned, %d times in a row (is another sandbox renaming folders in it?); "+
					"a scan of a changing tree can miss a matching file, so nothing runs", s.Base, s.Pattern, walkAttempts)
			return res[0], out
		}
	}
}

// unchanged reports whether every directory still has the stamp it had
// just before it was read.
func unchanged(dirs []dirStamp) bool {
	var changed atomic.Bool
	forEach(dirs, func(b *dirStamp) bool {
		now, ok := stamp(b.Path)
		if !ok || now.Dev != b.Dev || now.Ino != b.Ino || now.Ctime != b.Ctime {
			changed.Store(true)
			return false
		}
		return true
	})
	return !changed.Load()
}

// walkHost walks one scan on the host disk, recording each directory's
// stamp as fstat(2) gave it on the open directory just before its entries
// were read; store checks them all again before it keeps the result.
func (c *globCache) walkHost(s bwrap.GlobScan, o bwrap.GlobOptions) ([]bwrap.GlobResult, diag.List, []dirStamp) {
	var mu sync.Mutex
	var dirs []dirStamp
	o.Visit = func(v bwrap.DirVisit) {
		mu.Lock()
		defer mu.Unlock()
		dirs = append(dirs, dirStamp{Path: v.Path, Dev: v.Dev, Ino: v.Ino, Ctime: v.Ctime, Names: v.Names})
	}
	res, ds := bwrap.ExpandGlobs(bwrap.HostFS{}, []bwrap.GlobScan{s}, o)
	mu.Lock()
	defer mu.Unlock()
	return res, ds, dirs
}

func (c *globCache) load(s bwrap.GlobScan) (bwrap.GlobResult, bool) {
	r, _, ok := c.loadStamps(s)
	return r, ok
}

// loadStamps is load with the stamps the entry was verified against.
func (c *globCache) loadStamps(s bwrap.GlobScan) (bwrap.GlobResult, []dirStamp, bool) {
	data, err := readPrivate(c.dir, c.key(s))
	if err != nil {
		return bwrap.GlobResult{}, nil, false
	}
	e, err := decodeEntry(data)
	if err != nil || len(e.Dirs) == 0 {
		return bwrap.GlobResult{}, nil, false
	}
	// The scan the entry answers must be this one (the key says so too).
	if e.Result.Scan.Base != s.Base || e.Result.Scan.Pattern != s.Pattern || e.Result.Scan.MaxDepth != s.MaxDepth {
		return bwrap.GlobResult{}, nil, false
	}
	if c.Deferred {
		// A match gone since would become a placeholder on the host,
		// which the next scan would take for a match: check the few
		// matches now, and leave the directories to Settled.
		var st syscall.Stat_t
		for _, m := range e.Result.Matches {
			if syscall.Lstat(m.Path, &st) != nil {
				return bwrap.GlobResult{}, nil, false
			}
		}
		c.unverified = true
	} else if !verifyAll(e.Dirs, nil) {
		return bwrap.GlobResult{}, nil, false
	}
	e.Result.Scan = s
	touch(c.key(s))
	return e.Result, e.Dirs, true
}

// readPrivate reads a cache entry only when it and its folder are the
// caller's own and writable by no one else: an entry another user could
// have written may hide matches.
func readPrivate(dir, path string) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil || !private(&st) || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, errors.New("the glob cache's folder is not private")
	}
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || !private(&st) ||
		st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 {
		return nil, errors.New("the glob cache entry is not private")
	}
	return io.ReadAll(f)
}

func private(st *unix.Stat_t) bool {
	return int(st.Uid) == os.Geteuid() && st.Mode&0o022 == 0
}

// Unverified reports whether an entry was used on Deferred terms: a
// failed Settled then calls for a fresh scan, not for an error.
func (c *globCache) Unverified() bool { return c.unverified }

// Settled reports whether every directory a scan of this run read (or a
// cache entry it used was verified against) still lists what it listed
// then, leaving out the placeholders this run made since. Called once the
// sandbox's mounts are in place: a match moved between the scan and the
// mounts would otherwise leave the file unmasked where it went.
func (c *globCache) Settled(placeholders []string) bool {
	skip := map[string]map[string]bool{}
	for _, p := range placeholders {
		dir, name := filepath.Dir(p), filepath.Base(p)
		if skip[dir] == nil {
			skip[dir] = map[string]bool{}
		}
		skip[dir][name] = true
	}
	return verifyAll(c.used, skip)
}

// verifyAll checks every directory's stamp, on a few goroutines: a
// directory whose (device, inode, ctime) moved must list what the walk
// read.
func verifyAll(dirs []dirStamp, skip map[string]map[string]bool) bool {
	var bad atomic.Bool
	forEach(dirs, func(d *dirStamp) bool {
		if !verifyDir(d, skip[d.Path]) {
			bad.Store(true)
			return false
		}
		return true
	})
	return !bad.Load()
}

// verifyDir checks one directory: its stamp, or else its listing, leaving
// out the names in skip (placeholders made since it was read).
func verifyDir(d *dirStamp, skip map[string]bool) bool {
	now, ok := stamp(d.Path)
	if !ok {
		return false
	}
	if now.Dev == d.Dev && now.Ino == d.Ino && now.Ctime == d.Ctime {
		return true
	}
	h, err := bwrap.HashDirExcept(d.Path, skip)
	return err == nil && h == d.Names
}

// namesHash hashes entries as [bwrap.HashDirExcept] does, in the order given.
func namesHash(ents []fs.DirEntry) [16]byte {
	var b []byte
	for _, e := range ents {
		b = append(append(b, e.Name()...), 0, direntType(e.Type()), 0)
	}
	sum := sha256.Sum256(b)
	var out [16]byte
	copy(out[:], sum[:])
	return out
}

func direntType(m fs.FileMode) byte {
	switch {
	case m&fs.ModeSymlink != 0:
		return syscall.DT_LNK
	case m.IsDir():
		return syscall.DT_DIR
	case m.IsRegular():
		return syscall.DT_REG
	case m&fs.ModeNamedPipe != 0:
		return syscall.DT_FIFO
	case m&fs.ModeSocket != 0:
		return syscall.DT_SOCK
	case m&fs.ModeCharDevice != 0:
		return syscall.DT_CHR
	case m&fs.ModeDevice != 0:
		return syscall.DT_BLK
	}
	return syscall.DT_UNKNOWN
}

// store records a walk's result with the stamps each directory had just
// before it was read (walkSteady checked them after the walk).
func (c *globCache) store(s bwrap.GlobScan, r bwrap.GlobResult, before []dirStamp) {
	if len(before) == 0 {
		return
	}
	data, err := encodeEntry(&cacheEntry{Result: r, Dirs: before})
	if err != nil || os.MkdirAll(c.dir, 0o700) != nil {
		return
	}
	tmp := c.key(s) + ".tmp"
	if os.WriteFile(tmp, data, 0o600) == nil {
		os.Rename(tmp, c.key(s))
	}
	pruneCache(c.dir, c.key(s), time.Now())
}

// The cache keeps at most cacheKeep entries, none unused for longer than
// cacheMaxAge: an entry is stamped with the time of its last use.
const (
	cacheKeep   = 256
	cacheMaxAge = 30 * 24 * time.Hour
	// A temporary file older than this was left by a run that died
	// between writing and renaming it.
	cacheTmpAge = time.Hour
)

// pruneCache removes the entries of dir unused for cacheMaxAge, then the
// least recently used beyond cacheKeep, and old temporary files; keep,
// the entry just stored, stays. Runs call it after a walk, which costs far
// more than reading the folder.
func pruneCache(dir, keep string, now time.Time) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type entry struct {
		path string
		used time.Time
	}
	var live []entry
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || p == keep {
			continue
		}
		age := now.Sub(info.ModTime())
		switch {
		case strings.HasSuffix(e.Name(), ".tmp"):
			if age > cacheTmpAge {
				os.Remove(p)
			}
		case !strings.HasSuffix(e.Name(), ".bin"):
		case age > cacheMaxAge:
			os.Remove(p)
		default:
			live = append(live, entry{p, info.ModTime()})
		}
	}
	if len(live) < cacheKeep {
		return
	}
	sort.Slice(live, func(i, j int) bool { return live[i].used.After(live[j].used) })
	for _, e := range live[cacheKeep-1:] {
		os.Remove(e.path)
	}
}

// touch marks an entry as used now, for pruneCache.
func touch(path string) {
	unix.UtimesNanoAt(unix.AT_FDCWD, path, nil, 0)
}

// forEach calls f on every stamp, on a few goroutines, until one call
// returns false.
func forEach(ds []dirStamp, f func(*dirStamp) bool) {
	var stop atomic.Bool
	run := func(ds []dirStamp) {
		for i := range ds {
			if stop.Load() || !f(&ds[i]) {
				stop.Store(true)
				return
			}
		}
	}
	n := runtime.GOMAXPROCS(0) * 2
	if len(ds) < 256 || n < 2 {
		run(ds)
		return
	}
	var wg sync.WaitGroup
	chunk := (len(ds) + n - 1) / n
	for lo := 0; lo < len(ds); lo += chunk {
		wg.Add(1)
		go func(ds []dirStamp) {
			defer wg.Done()
			run(ds)
		}(ds[lo:min(lo+chunk, len(ds))])
	}
	wg.Wait()
}

func stamp(p string) (dirStamp, bool) {
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return dirStamp{}, false
	}
	return dirStamp{Path: p, Dev: st.Dev, Ino: st.Ino, Ctime: st.Ctim.Nano()}, true
}

// The entry's encoding: the magic, the result as JSON (it is small), then
// each directory as its path and stamp. Paths are written as the length of
// the prefix shared with the previous path and the rest.
var cacheMagic = []byte("PGC2\n")

func encodeEntry(e *cacheEntry) ([]byte, error) {
	res, err := json.Marshal(&e.Result)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(cacheMagic)
	b.Write(binary.AppendUvarint(nil, uint64(len(res))))
	b.Write(res)
	b.Write(binary.AppendUvarint(nil, uint64(len(e.Dirs))))
	var buf []byte
	prev := ""
	for i := range e.Dirs {
		d := &e.Dirs[i]
		n := 0
		for n < len(prev) && n < len(d.Path) && prev[n] == d.Path[n] {
			n++
		}
		buf = binary.AppendUvarint(buf[:0], uint64(n))
		buf = binary.AppendUvarint(buf, uint64(len(d.Path)-n))
		buf = append(buf, d.Path[n:]...)
		buf = binary.LittleEndian.AppendUint64(buf, d.Dev)
		buf = binary.LittleEndian.AppendUint64(buf, d.Ino)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(d.Ctime))
		buf = append(buf, d.Names[:]...)
		b.Write(buf)
		prev = d.Path
	}
	return b.Bytes(), nil
}

var errCorrupt = errors.New("corrupt glob cache entry")

func decodeEntry(data []byte) (*cacheEntry, error) {
	if !bytes.HasPrefix(data, cacheMagic) {
		return nil, errCorrupt
	}
	p := data[len(cacheMagic):]
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, false
		}
		p = p[n:]
		return v, true
	}
	rl, ok := next()
	if !ok || rl > uint64(len(p)) {
		return nil, errCorrupt
	}
	var e cacheEntry
	if err := json.Unmarshal(p[:rl], &e.Result); err != nil {
		return nil, errCorrupt
	}
	p = p[rl:]
	nd, ok := next()
	if !ok || nd > uint64(len(p))/(8*3+16+2) {
		return nil, errCorrupt
	}
	e.Dirs = make([]dirStamp, nd)
	prev := ""
	for i := range e.Dirs {
		shared, ok1 := next()
		rest, ok2 := next()
		if !ok1 || !ok2 || shared > uint64(len(prev)) || rest > uint64(len(p)) || uint64(len(p))-rest < 8*3+16 {
			return nil, errCorrupt
		}
		path := prev[:shared] + string(p[:rest])
		p = p[rest:]
		d := &e.Dirs[i]
		d.Path = path
		d.Dev = binary.LittleEndian.Uint64(p)
		d.Ino = binary.LittleEndian.Uint64(p[8:])
		d.Ctime = int64(binary.LittleEndian.Uint64(p[16:]))
		copy(d.Names[:], p[24:40])
		p = p[40:]
		prev = path
	}
	if len(p) != 0 {
		return nil, errCorrupt
	}
	return &e, nil
}

// recordingFS stamps every directory the walk reads, just before reading
// it, so a change during the walk is seen when the result is stored. It
// serves the walks of disks other than the host's (tests).
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
