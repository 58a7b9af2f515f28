package bwrap

import (
	"io/fs"
	"os"
)

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

// ReadFile reads at most 64 KiB of name.
func (HostFS) ReadFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
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
