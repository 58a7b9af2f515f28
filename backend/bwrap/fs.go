package bwrap

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

var errNotRegular = errors.New("not a regular file")

// FS is the loader's view of the disk. Every method takes an absolute path
// and never follows a symlink in the last component, except ReadFile.
type FS interface {
	Lstat(name string) (fs.FileInfo, error)
	Readlink(name string) (string, error)
	ReadDir(name string) ([]fs.DirEntry, error)
	// ReadFile reads a small file (a .git pointer, a gitdir back-pointer).
	ReadFile(name string) ([]byte, error)
}

// HostFS is the real disk.
type HostFS struct{}

// Lstat calls os.Lstat.
func (HostFS) Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }

// Readlink calls os.Readlink.
func (HostFS) Readlink(name string) (string, error) { return os.Readlink(name) }

// ReadDir calls os.ReadDir.
func (HostFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

// ReadFile reads at most 64 KiB of name, which must be a regular file.
// It opens without blocking: a FIFO planted where a pointer file belongs
// would otherwise hold the caller (and the workspace's lock) until a
// writer came.
func (HostFS) ReadFile(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errNotRegular}
	}
	buf := make([]byte, 64<<10)
	n, err := f.Read(buf)
	if n > 0 {
		err = nil
	}
	return buf[:n], err
}

// nodeType is what a path is on the disk.
type nodeType uint8

const (
	typeMissing nodeType = iota
	typeDir
	typeFile // a regular file, or anything else that is not a directory
	typeLink
)

func (t nodeType) String() string {
	return [...]string{"missing", "directory", "file", "symlink"}[t]
}

// ident is a file's identity, to check that what is mounted at launch is
// what was examined at load.
type ident struct{ Dev, Ino uint64 }

func typeOf(fi fs.FileInfo) nodeType {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return typeLink
	case fi.IsDir():
		return typeDir
	}
	return typeFile
}
