//go:build unix

package driver

import (
	"os"
	"syscall"
)

// openNoFollow opens path for reading: a symlink in its last component
// is an error (ELOOP), and a FIFO or device opens without waiting.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
