//go:build linux

package run

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/ir"
)

// rootSecrets returns masks for root-only files and directories the
// policy leaves readable, when permc runs as root. bwrap's user namespace
// only renames uid 0; the kernel still sees the owner of /etc/shadow, so
// the mode bits that keep other users out do nothing here. The mount plan
// orders the masks with its own and counts them against its cap.
func rootSecrets(p *ir.Policy, b ir.Binding) []bwrap.Mask {
	if os.Geteuid() != 0 {
		return nil
	}
	var masks []bwrap.Mask
	see := newSight(p, b)
	for _, path := range secretCandidates(b, see.judge) {
		if whole, _ := see.judge(path); !whole {
			continue // not visible inside anyway
		}
		masks = append(masks, bwrap.Mask{Path: path, Origin: ir.Origin{Profile: "root-only secret"}})
	}
	return masks
}

// sight judges what the sandbox can read of a path, erring towards yes.
// The rules name paths as written, but the mount plan binds each rule's
// real path: a rule on a symlink (or a workspace root reached through
// one) makes its target readable under the target's own name, which the
// rules' decisions do not see. links holds those targets.
type sight struct {
	d     *ir.Decider
	links []string
}

func newSight(p *ir.Policy, b ir.Binding) *sight {
	s := &sight{d: ir.NewDecider(p, ir.Linux, b)}
	for _, g := range s.d.Grants() {
		if real, err := bwrap.Canonical(g); err == nil && real != g {
			s.links = append(s.links, real)
		}
	}
	return s
}

// judge says whether the sandbox may read path itself (whole) and
// whether it may read something below it (below). A symlink is judged
// readable both ways: the rules judge its target by another name.
func (s *sight) judge(path string) (whole, below bool) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return true, true
	}
	whole = s.d.Decide(path).Read
	below = whole || s.d.ReadsBelow(path)
	for _, l := range s.links {
		if isAncestorOrSelf(l, path) {
			whole, below = true, true
		} else if isAncestorOrSelf(path, l) {
			below = true
		}
	}
	return whole, below
}

// startRootSecrets starts rootSecrets on its own goroutine; the function
// it returns waits for the result.
func startRootSecrets(p *ir.Policy, b ir.Binding) func() []bwrap.Mask {
	c := make(chan []bwrap.Mask, 1)
	go func() { c <- rootSecrets(p, b) }()
	var masks []bwrap.Mask
	var once sync.Once
	return func() []bwrap.Mask {
		once.Do(func() { masks = <-c })
		return masks
	}
}

// secretCandidates lists root-owned entries others cannot read, down to
// ir.RootSecretDepth levels in the directories of ir.RootSecretDirs,
// skipping any that holds a workspace root, parents before children.
// judge says what the sandbox may read of a path: a directory of which it
// sees nothing is not walked, and a root-only directory it cannot read
// itself but may read below is entered instead of listed. A
// masked directory is not entered. The directories are walked at once,
// each entry examined with fstatat(2) on its directory's descriptor; an
// entry whose d_type says it is neither a directory nor a regular file
// (a symlink, a socket) cannot be one and is not examined.
func secretCandidates(b ir.Binding, judge func(path string) (whole, below bool)) []string {
	lists := make([][]string, len(ir.RootSecretDirs))
	var wg sync.WaitGroup
	for i, dir := range ir.RootSecretDirs {
		whole, below := judge(dir)
		if !below {
			continue
		}
		wg.Add(1)
		go func(i int, dir string) {
			defer wg.Done()
			var st unix.Stat_t
			if unix.Lstat(dir, &st) != nil {
				return
			}
			if rootOnlyStat(&st) && !holdsRoot(dir, b.WorkspaceRoots) && whole {
				lists[i] = []string{dir}
				return
			}
			// Like os.ReadDir, this follows a symlinked directory
			// (/var/mail -> spool/mail).
			f, err := os.Open(dir)
			if err != nil {
				return
			}
			lists[i] = secretWalk(f, dir, 1, b, judge, nil)
		}(i, dir)
	}
	wg.Wait()
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	sort.Strings(out)
	return dropNested(out)
}

// secretWalk examines the entries of the open directory f (path dir, at
// depth below its RootSecretDirs entry) and closes f.
func secretWalk(f *os.File, dir string, depth int, b ir.Binding,
	judge func(string) (bool, bool), out []string) []string {
	defer f.Close()
	ents, err := f.ReadDir(-1) // unsorted; the result is sorted
	if err != nil {
		return out
	}
	fd := int(f.Fd())
	for _, e := range ents {
		t := e.Type()
		if t != 0 && t&fs.ModeDir == 0 {
			continue // a symlink, device, pipe or socket: never a secret to mask
		}
		name := e.Name()
		var st unix.Stat_t
		if unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		p := filepath.Join(dir, name)
		if rootOnlyStat(&st) && !holdsRoot(p, b.WorkspaceRoots) {
			whole, below := judge(p)
			if whole || !below || st.Mode&unix.S_IFMT != unix.S_IFDIR {
				out = append(out, p)
				continue
			}
			// Unreadable itself, readable below: look inside.
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR && depth < ir.RootSecretDepth {
			cfd, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err == nil {
				out = secretWalk(os.NewFile(uintptr(cfd), p), p, depth+1, b, judge, out)
			}
		}
	}
	return out
}

// rootOnlyStat reports whether st is a root-owned file or directory that
// other users cannot read.
func rootOnlyStat(st *unix.Stat_t) bool {
	typ := st.Mode & unix.S_IFMT
	return (typ == unix.S_IFDIR || typ == unix.S_IFREG) && st.Mode&0o004 == 0 && st.Uid == 0
}

func holdsRoot(p string, roots []string) bool {
	for _, r := range roots {
		if isAncestorOrSelf(p, r) {
			return true
		}
	}
	return false
}

// dropNested removes entries inside an earlier masked directory.
func dropNested(ps []string) []string {
	var out []string
	for _, p := range ps {
		if len(out) > 0 && isAncestorOrSelf(out[len(out)-1], p) {
			continue
		}
		out = append(out, p)
	}
	return out
}
