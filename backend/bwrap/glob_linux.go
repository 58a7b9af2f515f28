//go:build linux

package bwrap

import (
	"crypto/sha256"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/bmatcuk/doublestar/v4"
	"golang.org/x/sys/unix"

	"github.com/permc/permc/internal/diag"
)

// The host walk reads directories with getdents64 on descriptors opened
// relative to their parent (O_NOFOLLOW, so a directory swapped for a
// symlink is never entered), takes entry types from d_type, leaves the
// listing unsorted (only the matches are sorted), and walks subdirectories
// on a few goroutines at once. It finds what the generic walk finds.

// hostDepthFD bounds how many ancestors' descriptors one goroutine keeps
// open; deeper directories are opened by path.
const hostDepthFD = 64

type hostWalker struct {
	w *walker
	// matchName, for a "**/SEG" pattern, matches SEG against a name alone;
	// nil otherwise.
	matchName func(name string) bool
	mu        sync.Mutex // w.res.Matches, w.diags
	visited   atomic.Int64
	full      atomic.Bool
	sem       chan struct{}
	wg        sync.WaitGroup
}

// hostWalk walks the scan on the host disk; it reports false when it
// cannot start (the base could not be opened), and the generic walk then
// runs and reports what it finds.
func (w *walker) hostWalk() bool {
	fd, err := openDir(unix.AT_FDCWD, w.scan.Base)
	if err != nil {
		return false
	}
	h := &hostWalker{w: w, sem: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if seg, ok := baseOnly(w.scan.Pattern); ok && w.prune {
		h.matchName = nameMatcher(seg)
	}
	buf := make([]byte, 32<<10)
	h.dir(fd, w.scan.Base, nil, buf)
	h.wg.Wait()
	w.res.Visited += int(h.visited.Load())
	return true
}

func openDir(at int, name string) (int, error) {
	for {
		fd, err := unix.Openat(at, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		return fd, err
	}
}

// direntBufs holds getdents buffers for the walk's goroutines.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

type child struct {
	name string
	rel  []string
}

// dir reads the open directory fd (whose path is dir and path below the
// base rel), then walks the subdirectories to enter. It closes fd.
func (h *hostWalker) dir(fd int, dir string, rel []string, buf []byte) {
	w := h.w
	k := len(rel) + 1
	descend := !(w.scan.MaxDepth > 0 && k >= w.scan.MaxDepth)
	var kids []child
	var v DirVisit
	var hb []byte // what the listing's hash covers
	var before unix.Stat_t
	if w.visit != nil {
		if err := unix.Fstat(fd, &before); err != nil {
			unix.Close(fd)
			h.fail(dir, err)
			return
		}
		hb = make([]byte, 0, 1024)
	}
	n := 0
	err := readDirents(fd, buf, func(name []byte, typ uint8) bool {
		if h.full.Load() {
			return false
		}
		n++
		if w.visit != nil {
			hb = append(append(hb, name...), 0, typ, 0)
		}
		if typ == unix.DT_UNKNOWN {
			var st unix.Stat_t
			if unix.Fstatat(fd, unsafeString(name), &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
				typ = dtype(st.Mode)
			}
		}
		isDir, link := typ == unix.DT_DIR, typ == unix.DT_LNK
		sname := unsafeString(name) // valid until buf is reused
		var matched bool
		if h.matchName != nil {
			matched = h.matchName(sname)
		} else {
			matched, _ = doublestar.Match(w.scan.Pattern, strings.Join(append(rel[:len(rel):len(rel)], sname), "/"))
		}
		if matched {
			h.add(GlobMatch{Path: subPath(dir, sname), Dir: isDir, Link: link})
			return true
		}
		if !isDir || !descend {
			return true
		}
		nm := string(name)
		sub := append(rel[:len(rel):len(rel)], nm)
		if !w.prune || couldMatchBelow(w.segs, sub) {
			kids = append(kids, child{name: nm, rel: sub})
		}
		return true
	})
	h.visited.Add(int64(n))
	if err != nil {
		unix.Close(fd)
		h.fail(dir, err)
		return
	}
	if w.visit != nil {
		v = DirVisit{Path: dir, Dev: before.Dev, Ino: before.Ino, Ctime: before.Ctim.Nano()}
		sum := sha256.Sum256(hb)
		copy(v.Names[:], sum[:])
		w.visit(v)
	}
	if len(rel) >= hostDepthFD {
		unix.Close(fd)
		fd = -1
	}
	for _, c := range kids {
		if h.full.Load() {
			break
		}
		p := subPath(dir, c.name)
		var cfd int
		var err error
		if fd >= 0 {
			cfd, err = openDir(fd, c.name)
		} else {
			cfd, err = openDir(unix.AT_FDCWD, p)
		}
		if err != nil {
			if !errors.Is(err, unix.ENOENT) {
				h.fail(p, err)
			}
			continue
		}
		select {
		case h.sem <- struct{}{}:
			h.wg.Add(1)
			go func(cfd int, p string, rel []string) {
				defer func() { <-h.sem; h.wg.Done() }()
				b := direntBufs.Get().(*[]byte)
				defer direntBufs.Put(b)
				h.dir(cfd, p, rel, *b)
			}(cfd, p, c.rel)
		default:
			h.dir(cfd, p, c.rel, buf)
		}
	}
	if fd >= 0 {
		unix.Close(fd)
	}
}

func (h *hostWalker) add(m GlobMatch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.full.Load() {
		return
	}
	h.w.add(m)
	if h.w.full {
		h.full.Store(true)
	}
}

func (h *hostWalker) fail(dir string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.w.diags.Errorf(h.w.scan.Origin.Pos, diag.Load,
		"cannot scan %s for deny glob %q: %v", dir, h.w.scan.Pattern, err)
}

// nameMatcher matches one pattern segment against a name: "*SUFFIX" and
// plain names without doublestar's special characters directly, anything
// else with doublestar. ("*" never matches "/", which no name holds.)
func nameMatcher(seg string) func(string) bool {
	const special = "*?[]{}\\"
	if rest, ok := strings.CutPrefix(seg, "*"); ok && !strings.ContainsAny(rest, special) {
		return func(name string) bool { return strings.HasSuffix(name, rest) }
	}
	if !strings.ContainsAny(seg, special) {
		return func(name string) bool { return name == seg }
	}
	return func(name string) bool {
		ok, _ := doublestar.Match(seg, name)
		return ok
	}
}

func subPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func dtype(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return unix.DT_DIR
	case unix.S_IFLNK:
		return unix.DT_LNK
	case unix.S_IFREG:
		return unix.DT_REG
	}
	return unix.DT_UNKNOWN
}

// readDirents calls f for every entry of the open directory fd but . and
// .., with the name (valid only during the call) and d_type, until f
// returns false.
func readDirents(fd int, buf []byte, f func(name []byte, typ uint8) bool) error {
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		for off := 0; off < n; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			if off+19 > n {
				return errors.New("short directory entry")
			}
			reclen := int(*(*uint16)(unsafe.Pointer(&buf[off+16])))
			if reclen < 19 || off+reclen > n {
				return errors.New("bad directory entry")
			}
			typ := buf[off+18]
			name := buf[off+19 : off+reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			off += reclen
			if (len(name) == 1 && name[0] == '.') || (len(name) == 2 && name[0] == '.' && name[1] == '.') {
				continue
			}
			if !f(name, typ) {
				return nil
			}
		}
	}
}

// HashDirExcept hashes the entries of the directory at path (not
// following a symlink there) as the host walk's [DirVisit.Names] does,
// leaving out the names in skip: the runtime's glob cache compares a
// directory's listing now with the one a walk read, less the placeholders
// made since.
func HashDirExcept(path string, skip map[string]bool) ([16]byte, error) {
	var out [16]byte
	fd, err := openDir(unix.AT_FDCWD, path)
	if err != nil {
		return out, err
	}
	defer unix.Close(fd)
	var hb []byte
	err = readDirents(fd, make([]byte, 32<<10), func(name []byte, typ uint8) bool {
		if skip[string(name)] {
			return true
		}
		hb = append(append(hb, name...), 0, typ, 0)
		return true
	})
	sum := sha256.Sum256(hb)
	copy(out[:], sum[:])
	return out, err
}
