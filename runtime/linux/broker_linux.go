//go:build linux

package linux

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
// addresses with EINVAL; sizeofSockaddrUn is the most an AF_UNIX address
// may have.
const (
	maxSockaddr      = 128
	sizeofSockaddrUn = 110
)

// takeListener gets the listener the inner stage reported as descriptor n of
// process pid, and checks that it is one.
func takeListener(pid, n int) (int, error) {
	fd, err := takeFD(pid, n, "the seccomp listener")
	if err != nil {
		return -1, err
	}
	if link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); link != "anon_inode:seccomp notify" {
		unix.Close(fd)
		return -1, fmt.Errorf("descriptor %d of the inner stage is %q, not a seccomp listener", n, link)
	}
	return fd, nil
}

// takeDiag gets the sock_diag socket the inner stage reported as
// descriptor n of process pid, and checks that it is one, in pid's network
// namespace and not permc's: it must list only the sandbox's sockets.
func takeDiag(pid, n int) (int, error) {
	fd, err := takeFD(pid, n, "the sock_diag socket")
	if err != nil {
		return -1, err
	}
	if err := checkDiag(fd, pid); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// takeFD duplicates descriptor n of process pid into permc.
func takeFD(pid, n int, what string) (int, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("opening the inner stage (pid %d): %v", pid, err)
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, n, 0)
	if err != nil {
		return -1, fmt.Errorf("taking %s from the inner stage: %v", what, err)
	}
	return fd, nil
}

func checkDiag(fd, pid int) error {
	dom, err1 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	proto, err2 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	if err1 != nil || err2 != nil || dom != unix.AF_NETLINK || proto != unix.NETLINK_SOCK_DIAG {
		return errors.New("the inner stage's sock_diag descriptor is not a sock_diag socket")
	}
	ns, err := unix.IoctlRetInt(fd, unix.SIOCGSKNS)
	if err != nil {
		return fmt.Errorf("the network namespace of the sock_diag socket: %v", err)
	}
	defer unix.Close(ns)
	var sock, sandbox, own unix.Stat_t
	if err := unix.Fstat(ns, &sock); err != nil {
		return err
	}
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/net", &sandbox); err != nil {
		return err
	}
	if err := unix.Stat("/proc/self/ns/net", &own); err != nil {
		return err
	}
	if sock.Ino != sandbox.Ino || sock.Dev != sandbox.Dev || sock.Ino == own.Ino {
		return errors.New("the sock_diag socket is not in the sandbox's own network namespace")
	}
	return nil
}

// maxBlocking bounds the connects on blocking sockets the broker makes at
// once: each holds a thread, and a few descriptors, until it completes.
// One more fails at once with EAGAIN, as a full backlog makes a
// non-blocking connect fail; connects on non-blocking sockets, which
// return at once, are never held up behind them.
const maxBlocking = 256

// slot reserves a place for a connect on sock, if it may block; release
// gives it back.
func (b *Broker) slot(sock int) (release func(), ok bool) {
	fl, err := unix.FcntlInt(uintptr(sock), unix.F_GETFL, 0)
	if err == nil && fl&unix.O_NONBLOCK != 0 {
		return func() {}, true
	}
	select {
	case b.blocking <- struct{}{}:
		return func() { <-b.blocking }, true
	default:
		b.logf("connect refused with EAGAIN: %d connects on blocking sockets are pending", maxBlocking)
		return nil, false
	}
}

// serve answers the listener's notifications until no process is left
// under the filter, then closes it. It waits in Go's network poller, so no
// thread sits blocked in a system call while the handler of the last
// notification wants to run, and answers each call on its own goroutine:
// a connect can block.
func (b *Broker) serve(listener int) {
	arch, _ := seccomp.NativeArch()
	audit := arch.ABI().AuditArch
	unix.SetNonblock(listener, true)
	f := os.NewFile(uintptr(listener), "seccomp-listener")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	b.blocking = make(chan struct{}, maxBlocking)
	for {
		var req seccompNotif
		done := false
		err := rc.Read(func(fd uintptr) bool {
			// SECCOMP_IOCTL_NOTIF_RECV blocks whatever the descriptor's
			// flags: ask first whether a call is pending.
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if n, err := unix.Poll(fds, 0); err != nil || n == 0 {
				return false
			}
			if fds[0].Revents&unix.POLLIN == 0 {
				done = true // POLLHUP: the sandbox is gone
				return true
			}
			req = seccompNotif{}
			if err := ioctlPtr(int(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&req)); err != nil {
				// ENOENT: the caller was interrupted before we got its call.
				req.ID = 0
			}
			return true
		})
		if err != nil || done {
			return
		}
		if req.ID == 0 && req.Pid == 0 {
			continue
		}
		// Control keeps the descriptor open (a Close waits) while the
		// handler uses it, so its number cannot name another file by then.
		go rc.Control(func(fd uintptr) {
			errno := unix.ENOSYS
			if req.Arch == audit && (int(req.Nr) == unix.SYS_CONNECT || int(req.Nr) == unix.SYS_BIND) {
				errno = b.handle(int(fd), &req)
			}
			resp := seccompNotifResp{ID: req.ID}
			if errno != 0 {
				resp.Error = -int32(errno)
			}
			// ENOENT: the caller went away meanwhile.
			ioctlPtr(int(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp))
		})
	}
}

// handle carries out connect(fd, addr, addrlen), or bind with the same
// arguments, for the caller of req.
func (b *Broker) handle(listener int, req *seccompNotif) unix.Errno {
	bind := int(req.Nr) == unix.SYS_BIND
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
	addr, ok := readAddr(int(req.Pid), uintptr(req.Args[1]), int(addrlen))
	if !ok {
		return unix.EFAULT
	}
	name, isPath := unixPath(addr)
	var creds *callerCreds
	if isPath || bind {
		if creds, err = readCreds(int(req.Pid)); err != nil {
			return unix.ESRCH
		}
	}
	// A path that is not allowlisted may still name a socket of the
	// sandbox's own, which only its view of the file system can find.
	view := -1
	if isPath && !bind && b.diag >= 0 && b.allowed(filepath.Clean(name)) == nil {
		dir := "root"
		if !filepath.IsAbs(name) {
			dir = "cwd"
		}
		if v, err := unix.Open("/proc/"+strconv.Itoa(int(req.Pid))+"/"+dir,
			unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			view = v
			defer unix.Close(view)
		}
	}
	// The pid named the caller only if its call is still pending: checked
	// after every use of the pid, so a reused pid cannot lend its memory,
	// descriptors or view.
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
	if bind {
		return b.bind(sock, domain, addr, creds)
	}
	release, ok := b.slot(sock)
	if !ok {
		return unix.EAGAIN
	}
	defer release()
	// The kernel judges the copy against the socket's own family: only an
	// AF_UNIX socket with an AF_UNIX address names a unix socket.
	unixAddr := domain == unix.AF_UNIX && len(addr) > 2 && nativeFamily(addr) == unix.AF_UNIX
	switch {
	case domain == unix.AF_INET || domain == unix.AF_INET6:
		if port, ok := tcpPort(sock, addr); ok && !b.tcpAllowed(port) {
			return unix.EACCES // as Landlock's connect_tcp refuses it
		}
		return rawConnect(sock, addr)
	case domain != unix.AF_UNIX:
		// permc connects with its own capabilities, which matter to other
		// families (a netlink socket's multicast groups): never lend them.
		b.logf("connect on a socket of family %d refused: the broker connects only unix and IP sockets",
			domain)
		return unix.EACCES
	case !unixAddr:
		return rawConnect(sock, addr)
	case len(addr) > sizeofSockaddrUn:
		return unix.EINVAL // as the kernel answers
	case !isPath: // an abstract name
		if !b.OwnNetwork {
			b.logf("unix socket: connect to abstract name %q refused: the sandbox shares the host's "+
				"network namespace, whose abstract names are the host's", addr[3:])
			return unix.EACCES
		}
		return rawConnect(sock, addr)
	}
	// The path is looked up, and the socket's file checked for writing,
	// with the caller's credentials: permc's may be root's.
	return asCaller(creds, func() unix.Errno { return b.connectPath(sock, name, view) })
}

// bind carries out bind, which the filter sends only when the sandbox
// shares the host's network namespace: there an abstract unix name is the
// host's, and a sandbox that bound one could pose as the host program
// that should have (a display server, a bus). Unix sockets are not bound
// at all: with no network namespace of its own nothing in the sandbox
// could connect to them either. IP and netlink sockets are bound with the
// caller's credentials, so a privileged port or a netlink multicast group
// stays as out of reach as without the broker.
func (b *Broker) bind(sock, domain int, addr []byte, c *callerCreds) unix.Errno {
	switch domain {
	case unix.AF_UNIX:
		b.logf("unix socket: bind refused: with the network fully open, " +
			"the sandbox's unix names would be the host's")
		return unix.EACCES
	case unix.AF_INET, unix.AF_INET6, unix.AF_NETLINK:
		return asCaller(c, func() unix.Errno { return rawSockaddrCall(unix.SYS_BIND, sock, addr) })
	}
	b.logf("bind on a socket of family %d refused: the broker binds only IP and netlink sockets", domain)
	return unix.EACCES
}

// readAddr copies n bytes at ptr out of process pid.
func readAddr(pid int, ptr uintptr, n int) ([]byte, bool) {
	addr := make([]byte, n)
	if n == 0 {
		return addr, true
	}
	local := []unix.Iovec{{Base: &addr[0]}}
	local[0].SetLen(n)
	remote := []unix.RemoteIovec{{Base: ptr, Len: n}}
	got, err := unix.ProcessVMReadv(pid, local, remote, 0)
	return addr, err == nil && got == n
}

// unixPath is the path an AF_UNIX address names, if it names one.
func unixPath(addr []byte) (string, bool) {
	if len(addr) <= 2 || nativeFamily(addr) != unix.AF_UNIX || addr[2] == 0 {
		return "", false
	}
	path := addr[2:]
	if i := bytes.IndexByte(path, 0); i >= 0 {
		path = path[:i]
	}
	return string(path), true
}

// connectPath connects sock to the socket at name: an allowlisted one, or
// one of the sandbox's own, found through view (the caller's root or
// current directory, or -1).
func (b *Broker) connectPath(sock int, name string, view int) unix.Errno {
	var s *BrokerSocket
	if filepath.IsAbs(name) {
		s = b.allowed(filepath.Clean(name))
	}
	if s == nil {
		if view >= 0 {
			return b.connectOwn(sock, name, view)
		}
		b.logf("unix socket: connect to %q refused: not in the unix_sockets allowlist", name)
		return unix.EACCES
	}
	// Whatever the sandbox changed in a directory it may write, the path
	// is reopened as it resolved before the sandbox started, with no
	// symbolic link on the way.
	o, err := unix.Openat2(unix.AT_FDCWD, s.Canonical, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		b.logf("unix socket: connect to %q: %s: %v", name, s.Canonical, err)
		var errno unix.Errno
		if errors.Is(err, unix.ELOOP) || !errors.As(err, &errno) {
			return unix.EACCES
		}
		return errno
	}
	defer unix.Close(o)
	var st unix.Stat_t
	if err := unix.Fstat(o, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		b.logf("unix socket: connect to %q: %s is not a socket", name, s.Canonical)
		return unix.ECONNREFUSED
	}
	errno := rawConnect(sock, unixAddr("/proc/self/fd/"+strconv.Itoa(o)))
	b.logf("unix socket: connect to %q (%s): %s", name, s.Canonical, errnoText(errno))
	return errno
}

// connectOwn connects sock to the socket at name as the sandbox sees it,
// if a process of the sandbox bound it: its listening socket is then in the
// sandbox's own network namespace, which only the sandbox's processes
// use. A host program's socket, wherever it lies, is not.
func (b *Broker) connectOwn(sock int, name string, view int) unix.Errno {
	// An absolute path resolves in the sandbox's root; a relative one from
	// its current directory, refused if it would leave it (.. above it,
	// an absolute symlink), since that directory's path is not known here.
	resolve := uint64(unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS)
	if !filepath.IsAbs(name) {
		resolve = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS
	}
	o, err := unix.Openat2(view, strings.TrimLeft(name, "/"), &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolve})
	if err != nil {
		var errno unix.Errno
		if !errors.As(err, &errno) || errno == unix.EXDEV {
			errno = unix.EACCES
		}
		return errno
	}
	defer unix.Close(o)
	var st unix.Stat_t
	if err := unix.Fstat(o, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return unix.ECONNREFUSED
	}
	own, err := b.ownSocket(st.Dev, st.Ino)
	if err != nil || !own {
		why := "not in the unix_sockets allowlist, and not bound inside the sandbox"
		if err != nil {
			why = fmt.Sprintf("not in the unix_sockets allowlist (%v)", err)
		}
		b.logf("unix socket: connect to %q refused: %s", name, why)
		return unix.EACCES
	}
	return rawConnect(sock, unixAddr("/proc/self/fd/"+strconv.Itoa(o)))
}

// Netlink sock_diag, for unix sockets (linux/unix_diag.h).
const (
	udiagShowVFS = 0x2
	unixDiagVFS  = 1
	tcpListen    = 10 // TCP_LISTEN, which unix sockets share
)

// ownSocket reports whether a unix socket bound to the file (dev, ino) is
// in the sandbox's network namespace, by a dump through the sock_diag
// socket the inner stage made there. The dump names files by a 32-bit
// inode number: a file whose number does not fit is never the sandbox's.
func (b *Broker) ownSocket(dev, ino uint64) (bool, error) {
	if ino > 0xffffffff {
		return false, nil
	}
	b.diagMu.Lock()
	defer b.diagMu.Unlock()
	b.diagSeq++
	req := make([]byte, unix.NLMSG_HDRLEN+24)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], b.diagSeq)
	body := req[unix.NLMSG_HDRLEN:]
	body[0] = unix.AF_UNIX
	// Listening sockets only: a connection the sandbox made to a host
	// socket has its server side in the sandbox's namespace too, under the
	// listener's file.
	ne.PutUint32(body[4:], 1<<tcpListen)
	ne.PutUint32(body[12:], udiagShowVFS)
	if err := unix.Sendto(b.diag, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return false, err
	}
	wantMajor, wantMinor := unix.Major(dev), unix.Minor(dev)
	found := false
	buf := make([]byte, 32<<10)
	for {
		n, _, err := unix.Recvfrom(b.diag, buf, 0)
		if err != nil {
			return false, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return false, err
		}
		for _, m := range msgs {
			if m.Header.Seq != b.diagSeq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return found, nil
			case unix.NLMSG_ERROR:
				return false, errors.New("sock_diag refused the dump")
			}
			if len(m.Data) < 16 {
				continue
			}
			// struct unix_diag_msg (16 bytes), then attributes.
			for a := m.Data[16:]; len(a) >= 4; {
				l, t := int(ne.Uint16(a[0:])), ne.Uint16(a[2:])
				if l < 4 || l > len(a) {
					break
				}
				if v := a[4:l]; t == unixDiagVFS && len(v) >= 8 {
					// udiag_vfs_ino, then udiag_vfs_dev as the kernel
					// keeps it (major << 20 | minor).
					vino, vdev := ne.Uint32(v[0:]), ne.Uint32(v[4:])
					if uint64(vino) == ino && vdev>>20 == wantMajor && vdev&0xfffff == wantMinor {
						found = true
					}
				}
				a = a[min((l+3)&^3, len(a)):]
			}
		}
	}
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
	proto, err := unix.GetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	if err != nil || proto != unix.IPPROTO_TCP {
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
	return rawSockaddrCall(unix.SYS_CONNECT, sock, addr)
}

// rawSockaddrCall is connect(2) or bind(2) with addr as it is.
func rawSockaddrCall(nr uintptr, sock int, addr []byte) unix.Errno {
	var p unsafe.Pointer
	if len(addr) > 0 {
		p = unsafe.Pointer(&addr[0])
	}
	_, _, errno := unix.Syscall(nr, uintptr(sock), uintptr(p), uintptr(len(addr)))
	return errno
}

func ioctlPtr(fd int, req uint, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}
