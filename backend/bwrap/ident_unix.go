//go:build unix

package bwrap

import (
	"io/fs"
	"syscall"
)

func identOf(fi fs.FileInfo) ident {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return ident{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}
	}
	return ident{}
}
