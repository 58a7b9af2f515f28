package bwrap_test

import (
	"io/fs"
	"strings"
	"time"
)

// fakeDisk holds /srv/site/private and nothing else.
type fakeDisk struct{}

type dirInfo string

func (d dirInfo) Name() string     { return string(d) }
func (dirInfo) Size() int64        { return 0 }
func (dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (dirInfo) ModTime() time.Time { return time.Time{} }
func (dirInfo) IsDir() bool        { return true }
func (dirInfo) Sys() any           { return nil }

func (fakeDisk) Lstat(name string) (fs.FileInfo, error) {
	if strings.HasPrefix("/srv/site/private", name) {
		return dirInfo(name), nil
	}
	return nil, fs.ErrNotExist
}

func (fakeDisk) Readlink(string) (string, error)       { return "", fs.ErrInvalid }
func (fakeDisk) ReadDir(string) ([]fs.DirEntry, error) { return nil, nil }
func (fakeDisk) ReadFile(string) ([]byte, error)       { return nil, fs.ErrNotExist }
