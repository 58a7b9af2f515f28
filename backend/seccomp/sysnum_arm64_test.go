//go:build linux

package seccomp

// archXSys are the numbers only this architecture has (aarch64 has no
// chmod, chown, lchown, open, creat or mknod).
var archXSys = map[string]uintptr{}
