//go:build linux

package linux

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/permc/permc/backend/seccomp"
)

// The kernel's struct seccomp_notif and seccomp_notif_resp.
type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// maxSockaddr is sizeof(struct sockaddr_storage): connect refuses longer
// addresses with EINVAL.
const maxSockaddr = 128

// takeListener gets the listener the inner stage reported as descriptor n of
// process pid, and checks that it is one.
func takeListener(pid, n int) (int, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("opening the inner stage (pid %d): %v", pid, err)
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, n, 0)
	if err != nil {
		return -1, fmt.Errorf("taking the seccomp listener from the inner stage: %v", err)
	}
	if link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); link != "anon_inode:seccomp notify" {
		unix.Close(fd)
		return -1, fmt.Errorf("descriptor %d of the inner stage is %q, not a seccomp listener", n, link)
	}
	return fd, nil
}

// serve answers the listener's notifications until no process is left
// under the filter, then closes it. Each call is answered on its own
// goroutine: a connect can block.
func (b *Broker) serve(listener int) {
	defer unix.Close(listener)
	arch, _ := seccomp.NativeArch()
	audit := arch.ABI().AuditArch
	for {
		fds := []unix.PollFd{{Fd: int32(listener), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		if fds[0].Revents&unix.POLLIN == 0 {
			return // POLLHUP: the sandbox is gone
		}
		var req seccompNotif
		if err := ioctlPtr(listener, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&req)); err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINTR) {
				continue // the caller was interrupted before we got its call
			}
			return
		}
		go func() {
			errno := unix.ENOSYS
			if req.Arch == audit && int(req.Nr) == unix.SYS_CONNECT {
				errno = b.connect(listener, &req)
			}
			resp := seccompNotifResp{ID: req.ID}
			if errno != 0 {
				resp.Error = -int32(errno)
			}
			// ENOENT: the caller went away meanwhile.
			ioctlPtr(listener, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp))
		}()
	}
}

// connect carries out connect(fd, addr, addrlen) for the caller of req.
func (b *Broker) connect(listener int, req *seccompNotif) unix.Errno {
	fd := int(int32(req.Args[0]))
	addrlen := int32(req.Args[2])
	// The caller's own thread: its descriptor table, if it has one of its
	// own, is the one connect would use.
	pidfd, err := unix.PidfdOpen(int(req.Pid), unix.PIDFD_THREAD)
	if err != nil {
		return unix.ESRCH
	}
	defer unix.Close(pidfd)
	sock, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err != nil {
		if errors.Is(err, unix.EBADF) {
			return unix.EBADF
		}
		return unix.EPERM
	}
	defer unix.Close(sock)
	if addrlen < 0 || addrlen > maxSockaddr {
		return unix.EINVAL
	}
	addr := make([]byte, addrlen)
	if addrlen > 0 {
		local := []unix.Iovec{{Base: &addr[0]}}
		local[0].SetLen(len(addr))
		remote := []unix.RemoteIovec{{Base: uintptr(req.Args[1]), Len: len(addr)}}
		if n, err := unix.ProcessVMReadv(int(req.Pid), local, remote, 0); err != nil || n != len(addr) {
			return unix.EFAULT
		}
	}
	// The pid named the caller only if its call is still pending: checked
	// after every use of the pid, so a reused pid cannot lend its memory
	// or descriptors.
	id := req.ID
	if err := ioctlPtr(listener, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id)); err != nil {
		return unix.ESRCH
	}
	domain, err := unix.GetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		if errors.Is(err, unix.ENOTSOCK) {
			return unix.ENOTSOCK
		}
		return unix.EBADF
	}
	if domain == unix.AF_INET || domain == unix.AF_INET6 {
		if port, ok := tcpPort(sock, addr); ok && !b.tcpAllowed(port) {
			return unix.EACCES // as Landlock's connect_tcp refuses it
		}
	}
	if domain != unix.AF_UNIX || len(addr) <= 2 || nativeFamily(addr) != unix.AF_UNIX {
		// The kernel judges the copy against the socket's own family: only
		// an AF_UNIX socket with an AF_UNIX address names a unix socket.
		return rawConnect(sock, addr)
	}
	path := addr[2:]
	if path[0] == 0 {
		if !b.OwnNetwork {
			b.logf("unix socket: connect to abstract name %q refused: the sandbox shares the host's network namespace, whose abstract names are the host's", path[1:])
			return unix.EACCES
		}
		return rawConnect(sock, addr)
	}
	if i := bytes.IndexByte(path, 0); i >= 0 {
		path = path[:i]
	}
	return b.connectPath(sock, string(path))
}

// connectPath connects sock to the allowlisted socket at name.
func (b *Broker) connectPath(sock int, name string) unix.Errno {
	if !filepath.IsAbs(name) {
		b.logf("unix socket: connect to relative path %q refused: allowlisted sockets are reached by absolute path", name)
		return unix.EACCES
	}
	s := b.allowed(filepath.Clean(name))
	if s == nil {
		b.logf("unix socket: connect to %s refused: not in the unix_sockets allowlist", name)
		return unix.EACCES
	}
	// Whatever the sandbox changed in a directory it may write, the path
	// is reopened as it resolved before the sandbox started, with no
	// symbolic link on the way.
	o, err := unix.Openat2(unix.AT_FDCWD, s.Canonical, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		b.logf("unix socket: connect to %s: %s: %v", name, s.Canonical, err)
		var errno unix.Errno
		if errors.Is(err, unix.ELOOP) || !errors.As(err, &errno) {
			return unix.EACCES
		}
		return errno
	}
	defer unix.Close(o)
	var st unix.Stat_t
	if err := unix.Fstat(o, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		b.logf("unix socket: connect to %s: %s is not a socket", name, s.Canonical)
		return unix.ECONNREFUSED
	}
	errno := rawConnect(sock, unixAddr("/proc/self/fd/"+strconv.Itoa(o)))
	b.logf("unix socket: connect to %s (%s): %s", name, s.Canonical, errnoText(errno))
	return errno
}

func errnoText(e unix.Errno) string {
	if e == 0 {
		return "connected"
	}
	return e.Error()
}

// tcpPort is the port addr names, when sock is a TCP socket and addr an
// IPv4 or IPv6 address: what Landlock's connect_tcp judges.
func tcpPort(sock int, addr []byte) (uint16, bool) {
	if proto, err := unix.GetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_PROTOCOL); err != nil || proto != unix.IPPROTO_TCP {
		return 0, false
	}
	if len(addr) < 4 {
		return 0, false
	}
	if f := nativeFamily(addr); f != unix.AF_INET && f != unix.AF_INET6 {
		return 0, false
	}
	return uint16(addr[2])<<8 | uint16(addr[3]), true // network byte order
}

// nativeFamily reads sa_family, which is in the machine's byte order.
func nativeFamily(addr []byte) uint16 {
	return *(*uint16)(unsafe.Pointer(&addr[0]))
}

// unixAddr is a struct sockaddr_un naming path, with its length.
func unixAddr(path string) []byte {
	b := make([]byte, 2, 2+len(path)+1)
	*(*uint16)(unsafe.Pointer(&b[0])) = unix.AF_UNIX
	b = append(b, path...)
	return append(b, 0)
}

// rawConnect is connect(2) with addr as it is.
func rawConnect(sock int, addr []byte) unix.Errno {
	var p unsafe.Pointer
	if len(addr) > 0 {
		p = unsafe.Pointer(&addr[0])
	}
	_, _, errno := unix.Syscall(unix.SYS_CONNECT, uintptr(sock), uintptr(p), uintptr(len(addr)))
	return errno
}

func ioctlPtr(fd int, req uint, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}
