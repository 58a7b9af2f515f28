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
	d := ir.NewDecider(p, ir.Linux, b)
	// A directory the sandbox can see nothing of is not walked; one that
	// is a symlink (/var/mail) is, since the rules judge its target by
	// another name.
	visible := func(dir string) bool {
		if fi, err := os.Lstat(dir); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return true
		}
		return d.Decide(dir).Read || d.ReadsBelow(dir)
	}
	for _, path := range secretCandidates(b, visible) {
		if !d.Decide(path).Read {
			continue // not visible inside anyway
		}
		masks = append(masks, bwrap.Mask{Path: path, Origin: ir.Origin{Profile: "root-only secret"}})
	}
	return masks
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
// ir.RootSecretDepth levels in the directories of ir.RootSecretDirs for
// which visible is true, skipping any that holds a workspace root,
// parents before children. A
// masked directory is not entered. The directories are walked at once,
// each entry examined with fstatat(2) on its directory's descriptor; an
// entry whose d_type says it is neither a directory nor a regular file
// (a symlink, a socket) cannot be one and is not examined.
func secretCandidates(b ir.Binding, visible func(dir string) bool) []string {
	lists := make([][]string, len(ir.RootSecretDirs))
	var wg sync.WaitGroup
	for i, dir := range ir.RootSecretDirs {
		if !visible(dir) {
			continue
		}
		wg.Add(1)
		go func(i int, dir string) {
			defer wg.Done()
			var st unix.Stat_t
			if unix.Lstat(dir, &st) != nil {
				return
			}
			if rootOnlyStat(&st) && !holdsRoot(dir, b.WorkspaceRoots) {
				lists[i] = []string{dir}
				return
			}
			// Like os.ReadDir, this follows a symlinked directory
			// (/var/mail -> spool/mail).
			f, err := os.Open(dir)
			if err != nil {
				return
			}
			lists[i] = secretWalk(f, dir, 1, b, nil)
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
func secretWalk(f *os.File, dir string, depth int, b ir.Binding, out []string) []string {
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
			out = append(out, p)
			continue
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR && depth < ir.RootSecretDepth {
			cfd, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err == nil {
				out = secretWalk(os.NewFile(uintptr(cfd), p), p, depth+1, b, out)
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
