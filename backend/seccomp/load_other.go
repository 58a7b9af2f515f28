//go:build !linux

package seccomp

import (
	"errors"
	"fmt"
	"runtime"
)

// Load installs a filter on the calling thread. seccomp exists only on
// Linux; elsewhere Load fails with an error matching errors.ErrUnsupported.
func Load(raw []byte) error {
	return fmt.Errorf("seccomp: %w on %s", errors.ErrUnsupported, runtime.GOOS)
}

// LoadListener is Load returning the listener of a notifying filter; it
// fails like Load off Linux.
func LoadListener(raw []byte) (int, error) { return -1, Load(raw) }
