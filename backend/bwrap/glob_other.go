//go:build !linux

package bwrap

// hostWalk is the Linux host walk; elsewhere the generic walk runs.
func (w *walker) hostWalk() bool { return false }
