//go:build unix

package run

import (
	"os"
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
