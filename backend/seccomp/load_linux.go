//go:build linux

package seccomp

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Load installs a filter, given as Encode writes it, on the calling thread
// with seccomp(SECCOMP_SET_MODE_FILTER, 0, ...).
//
// The caller must have set no_new_privs (prctl(PR_SET_NO_NEW_PRIVS)) or
// hold CAP_SYS_ADMIN, else the kernel answers EACCES; Load does not set it,
// because the runtime orders no_new_privs, Landlock and seccomp itself.
// No flags are passed: without SECCOMP_FILTER_FLAG_TSYNC the filter binds
// only the calling thread and what it starts or execs afterwards, so the
// caller must hold the thread (runtime.LockOSThread) from Load to execve.
// Other threads of a Go process stay unfiltered until that execve, which
// replaces them all.
func Load(raw []byte) error {
	_, err := load(raw, 0)
	return err
}

// LoadListener is Load for a filter that hands calls to a supervisor
// (SECCOMP_RET_USER_NOTIF, the unix-socket broker's connect): it passes
// SECCOMP_FILTER_FLAG_NEW_LISTENER and returns the listener descriptor
// (close-on-exec), which the supervisor must hold and serve. Until it does,
// a notifying call blocks; once no one holds the listener, it fails with
// ENOSYS. The caller must close its copy before execve.
func LoadListener(raw []byte) (int, error) {
	return load(raw, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER)
}

func load(raw []byte, flags uintptr) (int, error) {
	ins, err := Decode(raw)
	if err != nil {
		return -1, err
	}
	filter := make([]unix.SockFilter, len(ins))
	for i, r := range ins {
		filter[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	fd, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags,
		uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	if errno != 0 {
		return -1, fmt.Errorf("seccomp: installing the filter: %w", errno)
	}
	return int(fd), nil
}
