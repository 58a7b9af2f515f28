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
