package bwrap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Args renders the operations as bubblewrap arguments that bind by path.
// The runtime adds its own isolation flags and the command after them.
func (res *Resolved) Args() []string {
	var out []string
	for _, o := range res.Ops {
		out = append(out, o.args("")...)
	}
	return out
}

// args renders one operation; fd, when set, replaces the source of a
// bind by a descriptor number.
func (o Op) args(fd string) []string {
	switch o.Op {
	case OpROBind, OpBind:
		if fd != "" {
			return []string{"--" + o.Op + "-fd", fd, o.Dest}
		}
		return []string{"--" + o.Op, o.Src, o.Dest}
	case OpDevBind, OpSymlink:
		return []string{"--" + o.Op, o.Src, o.Dest}
	case OpTmpfs, OpDir:
		return []string{"--perms", o.Perms, "--" + o.Op, o.Dest}
	case OpChmod:
		return []string{"--chmod", o.Perms, o.Dest}
	case OpRemount, OpDev, OpProc:
		return []string{"--" + o.Op, o.Dest}
	}
	panic("bwrap: unknown operation " + o.Op)
}

// String renders the operation as bubblewrap arguments and its origin.
func (o Op) String() string {
	return fmt.Sprintf("%v  # %s %s", o.args(""), o.Why, o.Origin)
}

// EnsureMaskFile creates, or checks, the empty mode-0000 file bound over
// denied files, in dir (permc's private state directory, which must lie
// outside every writable root). It returns the file's path with every
// symlink resolved, as [Resolved.Launch] requires.
func EnsureMaskFile(dir string) (string, error) {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("state directory: %w", err)
	}
	p := filepath.Join(dir, "mask-0000")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0)
	if err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("creating mask file: %w", err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return "", fmt.Errorf("checking mask file: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() != 0 || fi.Mode().Perm() != 0 {
		return "", fmt.Errorf("mask file %s is not an empty file of mode 0000", p)
	}
	return p, nil
}
