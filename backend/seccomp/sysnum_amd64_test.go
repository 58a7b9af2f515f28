//go:build linux

package seccomp

import "golang.org/x/sys/unix"

// archXSys are the numbers only this architecture has.
var archXSys = map[string]uintptr{"chmod": unix.SYS_CHMOD, "chown": unix.SYS_CHOWN, "lchown": unix.SYS_LCHOWN,
	"open": unix.SYS_OPEN, "creat": unix.SYS_CREAT, "mknod": unix.SYS_MKNOD}
