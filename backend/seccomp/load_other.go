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
