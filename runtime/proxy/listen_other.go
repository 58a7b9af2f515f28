//go:build !linux

package proxy

import "syscall"

// deferAccept does nothing outside Linux.
func deferAccept(_, _ string, _ syscall.RawConn) error { return nil }
