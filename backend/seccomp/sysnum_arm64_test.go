//go:build linux

package seccomp

// archXSys are the numbers only this architecture has (aarch64 has no
// chmod, chown or lchown).
var archXSys = map[string]uintptr{}
