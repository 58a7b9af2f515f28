//go:build !linux

package landlock

// Apply exists only on Linux.
func Apply(*Resolved, ApplyOptions) (*Applied, error) { return nil, ErrUnsupported }

// KernelABI is 0 off Linux: there is no Landlock.
func KernelABI() int { return 0 }

// ApplyThread fails off Linux.
func ApplyThread(*Resolved) (*Applied, error) { return nil, ErrUnsupported }
