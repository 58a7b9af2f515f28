//go:build !linux

package linux

import (
	"encoding/json"
	"errors"
	"os"
)

// ApplyLandlock is unused off Linux.
var ApplyLandlock func(raw json.RawMessage) error

// Relay fails off Linux.
func Relay() int { return ExitSetup }

// Launch is the Linux sandbox; it cannot run on this OS.
type Launch struct {
	Spec         Spec
	NetNamespace bool
	MountArgs    []string
	MountFiles   []*os.File
	Stdin        *os.File
	Stdout       *os.File
	Stderr       *os.File
	Log          func(format string, args ...any)
	Prepare      func(*Spec) error
	Mounted      func() error
	Direct       bool
}

// Warm does nothing off Linux.
func Warm() {}

// Run fails: the Linux sandbox runs only on Linux.
func (l *Launch) Run() (int, error) {
	return ExitSetup, errors.New("the linux sandbox runs only on linux")
}

// Inner fails off Linux.
func Inner() int { return ExitSetup }
