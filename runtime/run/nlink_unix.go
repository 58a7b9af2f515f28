//go:build unix

package run

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// hardLinks is a file's link count; 0 when unknown.
func hardLinks(fi os.FileInfo) uint64 {
	if fi == nil {
		return 0
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}

// privateDir reports whether a folder (followed, if fi is a link) is the
// caller's own and writable by no one else: permc's state must be.
func privateDir(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	return int(st.Uid) == os.Geteuid() && st.Mode&0o022 == 0
}

// insecurePath names what lets another user change where p leads: a
// folder on the way that is not the caller's or root's, a symlink on
// the way owned by someone else, or a folder others may write to without
// the sticky bit (which keeps them from renaming what is not theirs).
// It returns "" when p, followed through its symlinks, is the caller's.
func insecurePath(p string) string {
	return walkSecure(filepath.Clean(p), 0)
}

func walkSecure(p string, depth int) string {
	if depth > 40 {
		return p + ": too many symlinks"
	}
	uid := uint32(os.Geteuid())
	cur := "/"
	for _, c := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if c == "" {
			continue
		}
		var parent syscall.Stat_t
		if syscall.Stat(cur, &parent) == nil && parent.Mode&0o022 != 0 && parent.Mode&syscall.S_ISVTX == 0 {
			return fmt.Sprintf("%s can be written by others (mode %o) and has no sticky bit", cur, parent.Mode&0o7777)
		}
		next := filepath.Join(cur, c)
		var st syscall.Stat_t
		if err := syscall.Lstat(next, &st); err != nil {
			return "" // not there yet: permc makes it, as the caller
		}
		if st.Uid != uid && st.Uid != 0 {
			return fmt.Sprintf("%s belongs to uid %d", next, st.Uid)
		}
		if st.Mode&syscall.S_IFMT == syscall.S_IFLNK {
			target, err := os.Readlink(next)
			if err != nil {
				return next + ": " + err.Error()
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(cur, target)
			}
			rest := strings.TrimPrefix(p, next)
			return walkSecure(filepath.Clean(target+rest), depth+1)
		}
		cur = next
	}
	return ""
}
