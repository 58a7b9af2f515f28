//go:build !linux

package linux

import (
	"encoding/json"
	"errors"
)

// ApplyLandlock is unused off Linux.
var ApplyLandlock func(raw json.RawMessage) error

// Relay fails off Linux.
func Relay() int { return ExitSetup }

// Warm does nothing off Linux.
func Warm() {}

// Run fails: the Linux sandbox runs only on Linux.
func (l *Launch) Run() (int, error) {
	return ExitSetup, errors.New("the linux sandbox runs only on linux")
}

// Inner fails off Linux.
func Inner() int { return ExitSetup }
