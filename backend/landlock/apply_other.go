//go:build !linux

package landlock

// Apply exists only on Linux.
func Apply(*Resolved, ApplyOptions) (*Applied, error) { return nil, ErrUnsupported }
