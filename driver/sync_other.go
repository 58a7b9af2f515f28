//go:build !linux

package driver

import (
	"io/fs"
	"os"
	"path/filepath"
)

// syncTree flushes every file below dir.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}

// replace puts tmp in the place of dir.
func replace(dir, tmp string) error { return swap(dir, tmp) }
