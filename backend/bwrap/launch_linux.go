//go:build linux

package bwrap

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Launch is what the runtime hands to bubblewrap: arguments that bind by
// descriptor, and the descriptors, to pass as os/exec ExtraFiles so that
// Files[i] becomes descriptor FirstFD+i in bubblewrap. bubblewrap closes
// each after its one use.
type Launch struct {
	Args    []string
	Files   []*os.File
	FirstFD int
	// Dests[i] is where Files[i] is mounted, or "" when a later mount of
	// the plan covers that place: the inner stage checks that what it
	// finds at each one is the file opened here (bubblewrap binds a
	// descriptor through its path, which a concurrent rename can change).
	Dests []string
}

// Close closes the descriptors; call it once bubblewrap has started.
func (l *Launch) Close() {
	for _, f := range l.Files {
		f.Close()
	}
}

// Launch opens the source of every bind without following any symlink and
// checks it is what Resolve examined, so what was checked is what gets
// mounted. Placeholders must exist by now. Each bind gets its own
// descriptor, the shared mask file included.
func (res *Resolved) Launch(firstFD int) (*Launch, error) {
	l := &Launch{FirstFD: firstFD}
	for i, o := range res.Ops {
		if o.Op != OpROBind && o.Op != OpBind {
			l.Args = append(l.Args, o.args("")...)
			continue
		}
		f, err := openChecked(o)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.Args = append(l.Args, o.args(strconv.Itoa(firstFD+len(l.Files)))...)
		l.Files = append(l.Files, f)
		dest := o.Dest
		for _, later := range res.Ops[i+1:] {
			if later.isMount() && within(o.Dest, later.Dest) {
				dest = "" // covered: not visible at its place
				break
			}
		}
		l.Dests = append(l.Dests, dest)
	}
	return l, nil
}

// openChecked opens o.Src as an O_PATH descriptor, refusing symlinks in
// any component, and compares it with what was seen at load.
func openChecked(o Op) (*os.File, error) {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := unix.Openat2(unix.AT_FDCWD, o.Src, &how)
	if err != nil {
		return nil, fmt.Errorf("opening %s to bind at %s: %w", o.Src, o.Dest, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("checking %s: %w", o.Src, err)
	}
	if err := sameAsLoaded(o, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), o.Src), nil
}

func sameAsLoaded(o Op, st *unix.Stat_t) error {
	switch {
	case o.ident != (ident{}):
		if (ident{Dev: uint64(st.Dev), Ino: st.Ino}) != o.ident {
			return fmt.Errorf("%s changed since the plan was loaded; load it again", o.Src)
		}
	case o.Why == whyHold, o.Why == whyPin:
		// A placeholder, or the parent of one, created after load.
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return fmt.Errorf("placeholder %s is not a directory", o.Src)
		}
	case o.isMask():
		if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != 0 || st.Mode&0o7777 != 0 {
			return fmt.Errorf("mask file %s is not an empty file of mode 0000", o.Src)
		}
	}
	return nil
}
