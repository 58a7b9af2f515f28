//go:build linux && (amd64 || arm64)

package seccomp

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestNumbersMatchXSys compares the reference table's numbers for the
// machine's own architecture with golang.org/x/sys, which is generated from
// the kernel's tables. (The other architecture's numbers are checked the
// same way when the tests run there.)
func TestNumbersMatchXSys(t *testing.T) {
	xsys := map[string]uintptr{
		"ioctl": unix.SYS_IOCTL, "socket": unix.SYS_SOCKET, "connect": unix.SYS_CONNECT,
		"accept": unix.SYS_ACCEPT, "sendto": unix.SYS_SENDTO, "sendmsg": unix.SYS_SENDMSG,
		"sendmmsg": unix.SYS_SENDMMSG,
		"bind":     unix.SYS_BIND, "listen": unix.SYS_LISTEN, "socketpair": unix.SYS_SOCKETPAIR,
		"clone": unix.SYS_CLONE, "ptrace": unix.SYS_PTRACE, "pivot_root": unix.SYS_PIVOT_ROOT,
		"mount": unix.SYS_MOUNT, "umount2": unix.SYS_UMOUNT2, "kexec_load": unix.SYS_KEXEC_LOAD,
		"add_key": unix.SYS_ADD_KEY, "request_key": unix.SYS_REQUEST_KEY, "keyctl": unix.SYS_KEYCTL,
		"unshare": unix.SYS_UNSHARE, "accept4": unix.SYS_ACCEPT4, "perf_event_open": unix.SYS_PERF_EVENT_OPEN,
		"open_by_handle_at": unix.SYS_OPEN_BY_HANDLE_AT, "setns": unix.SYS_SETNS,
		"process_vm_readv": unix.SYS_PROCESS_VM_READV, "process_vm_writev": unix.SYS_PROCESS_VM_WRITEV,
		"kexec_file_load": unix.SYS_KEXEC_FILE_LOAD, "bpf": unix.SYS_BPF, "userfaultfd": unix.SYS_USERFAULTFD,
		"io_uring_setup": unix.SYS_IO_URING_SETUP, "io_uring_enter": unix.SYS_IO_URING_ENTER,
		"io_uring_register": unix.SYS_IO_URING_REGISTER, "open_tree": unix.SYS_OPEN_TREE,
		"move_mount": unix.SYS_MOVE_MOUNT, "fsopen": unix.SYS_FSOPEN, "fsconfig": unix.SYS_FSCONFIG,
		"fsmount": unix.SYS_FSMOUNT, "fspick": unix.SYS_FSPICK, "clone3": unix.SYS_CLONE3,
		"mount_setattr": unix.SYS_MOUNT_SETATTR, "open_tree_attr": unix.SYS_OPEN_TREE_ATTR,
		"fchmod": unix.SYS_FCHMOD, "fchmodat": unix.SYS_FCHMODAT, "fchmodat2": unix.SYS_FCHMODAT2,
		"setxattr": unix.SYS_SETXATTR, "lsetxattr": unix.SYS_LSETXATTR, "fsetxattr": unix.SYS_FSETXATTR,
		"setxattrat": unix.SYS_SETXATTRAT, "removexattr": unix.SYS_REMOVEXATTR,
		"lremovexattr": unix.SYS_LREMOVEXATTR, "fremovexattr": unix.SYS_FREMOVEXATTR,
		"removexattrat": unix.SYS_REMOVEXATTRAT, "fchown": unix.SYS_FCHOWN, "fchownat": unix.SYS_FCHOWNAT,
		"openat": unix.SYS_OPENAT, "mknodat": unix.SYS_MKNODAT, "openat2": unix.SYS_OPENAT2,
	}
	for name, nr := range archXSys {
		xsys[name] = nr
	}
	abi := nativeArch(t).ABI()
	if len(xsys) != len(abi.Numbers) {
		t.Errorf("table names %d syscalls, this test %d", len(abi.Numbers), len(xsys))
	}
	for name, nr := range abi.Numbers {
		if want, ok := xsys[name]; !ok || uintptr(nr) != want {
			t.Errorf("%s: table %d, x/sys %d", name, nr, want)
		}
	}
	if abi.MaxSyscall != unix.SYS_RSEQ_SLICE_YIELD || abi.MaxSyscallName != "rseq_slice_yield" {
		t.Errorf("MaxSyscall %d (%s), x/sys rseq_slice_yield is %d", abi.MaxSyscall, abi.MaxSyscallName, unix.SYS_RSEQ_SLICE_YIELD)
	}
	for _, n := range []string{"getpid", "getppid", "read", "openat", "faccessat2"} {
		want := map[string]uintptr{"getpid": unix.SYS_GETPID, "getppid": unix.SYS_GETPPID,
			"read": unix.SYS_READ, "openat": unix.SYS_OPENAT, "faccessat2": unix.SYS_FACCESSAT2}[n]
		if got := extraNumbers[nativeArch(t)][n]; uintptr(got) != want {
			t.Errorf("test number of %s: %d, x/sys %d", n, got, want)
		}
	}
}
