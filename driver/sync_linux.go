//go:build linux

package driver

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncTree flushes the file system holding dir with one syncfs call,
// rather than one fsync per artifact.
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
