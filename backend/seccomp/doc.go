// Package seccomp compiles a permc policy into the seccomp BPF filter the
// Linux runtime installs, one program per architecture (x86_64 and
// aarch64), and loads such a program on the current thread.
//
// # What
//
// [Compile] reads the network part of an [ir.Policy], takes the syscall
// rules for its network mode from [ir.SyscallPolicy] (the one reference
// table, held as data in package ir) and emits a classic BPF program for
// seccomp(SECCOMP_SET_MODE_FILTER). A [Program] holds the raw instructions
// ([Program.Bytes] is what seccomp-x86_64.bpf and seccomp-aarch64.bpf
// hold), a disassembly in which every block names why it is there, the
// verdict it returns and its origin ([Program.Disasm]), and a [Summary] for
// linux.json. Compiling is deterministic and never looks at the host.
//
// The program checks, in this order: the architecture; x32 numbers (on
// x86_64) and numbers newer than the table; then a binary search over the
// numbers the rules name, each leading to a block that refuses the call or
// tests its arguments. A number no rule names is allowed.
//
// # Guarantees
//
// In every network mode, for every profile but :danger-full-access (which
// runs without a sandbox and so gets [ErrUnrestricted]):
//
//   - io_uring_setup, io_uring_enter and io_uring_register fail with EPERM:
//     operations submitted through a ring never pass through the filter.
//   - ptrace, process_vm_readv/writev; the mount API (mount, umount2,
//     pivot_root, open_tree, open_tree_attr, move_mount, fsopen, fsconfig,
//     fsmount, fspick, mount_setattr); unshare and setns; kexec_load,
//     kexec_file_load, bpf, perf_event_open, keyctl, add_key, request_key,
//     userfaultfd and open_by_handle_at fail with EPERM.
//   - clone with any of CLONE_NEWNS, NEWUTS, NEWIPC, NEWUSER, NEWPID,
//     NEWNET, NEWCGROUP or NEWTIME fails with EPERM; clone3 fails with
//     ENOSYS, since its flags sit in memory the filter cannot read and libc
//     then falls back to clone.
//   - chmod, fchmod, fchmodat and fchmodat2 to a mode with S_ISUID, and
//     open, openat, creat, mknod and mknodat making a file with it, fail
//     with EPERM: a setuid file in a writable root would run as the
//     caller (or root) for any local user. openat2, whose mode is in
//     memory, fails with ENOSYS, so callers fall back to openat. S_ISGID
//     is allowed: tools keep a shared folder's bit when they chmod in it.
//   - ioctl TIOCSTI and TIOCLINUX fail with EPERM, so a shell keeps its
//     terminal (and job control) without being able to type into it.
//   - socket(AF_VSOCK) fails with EPERM.
//   - Unix sockets: socket(AF_UNIX) and socketpair(AF_UNIX, SOCK_DGRAM or
//     SOCK_RAW) fail with EPERM, so no host socket (container engine,
//     session bus, agents, the journal) can be reached; stream and
//     seqpacket socketpairs stay allowed, SOCK_NONBLOCK and SOCK_CLOEXEC
//     masked off the type. dangerously_allow_all_unix_sockets lifts this.
//   - With a unix_sockets allowlist (the broker): socket(AF_UNIX) is
//     allowed for SOCK_STREAM and SOCK_SEQPACKET only (datagram and raw
//     unix sockets still fail with EPERM: sendto could name any host
//     socket), and every connect returns SECCOMP_RET_USER_NOTIF: the
//     filter cannot read the address, which is in memory, nor the
//     descriptor's family. permc's broker (package runtime/linux) copies
//     the address once, and connects a duplicate of the socket itself:
//     allowlisted unix sockets only, any other family as the network mode
//     allows. Stream and seqpacket sockets ignore the address of sendto and
//     sendmsg, so sendto, sendmsg and sendmmsg need no broker, nor does
//     bind, which acts in the sandbox's own view, but for a fully open
//     network: there the sandbox's abstract unix names would be the
//     host's, and bind goes to the broker as well. A
//     filter with this action must be loaded with [LoadListener], and its
//     listener served; without a listener, connect fails with ENOSYS.
//   - Checks on int arguments (families, types, protocols, ioctl requests,
//     clone flags) read the low 32 bits only, as the kernel does: high bits
//     a caller sets change nothing.
//   - Numbers above the highest the table has reviewed (471 on both
//     architectures) fail with ENOSYS, so a syscall added by a later kernel
//     cannot slip past, and libc falls back as it does on an older kernel.
//
// The Landlock-only mode, with no mount namespace of its own, loads
// [CompileWithoutNamespaces]: the same program, and chmod, fchmod,
// fchmodat and fchmodat2 fail with EPERM for a mode with a group or other
// write bit too, chown, fchown, lchown and fchownat with EPERM, and the calls
// that set or remove extended attributes with EOPNOTSUPP
// ([ir.SyscallRules.WithoutNamespaces]).
//
// Per network mode ([ir.NetMode]):
//
//   - off: socket creates no family at all (EPERM); connect, bind,
//     listen, accept and accept4 fail with EPERM, and so does sendto with a
//     destination address, since the only sockets left are connected unix
//     pairs. With dangerously_allow_all_unix_sockets, AF_UNIX sockets and
//     those calls are allowed.
//   - proxied: AF_INET and AF_INET6, which inside the sandbox's empty
//     network namespace reach only permc's relay, and AF_NETLINK with
//     protocol NETLINK_ROUTE only (getifaddrs: Node's
//     os.networkInterfaces, Go's net.Interfaces), which there shows the
//     loopback device alone. Every other family fails with EPERM. glibc's
//     getaddrinfo does not need netlink: it falls back when the socket
//     fails.
//   - full: every family but AF_VSOCK and AF_UNIX (see above).
//   - proxied and full: socket(AF_INET or AF_INET6, any type,
//     IPPROTO_MPTCP) fails with EPROTONOSUPPORT. Landlock's TCP port rules
//     cover IPPROTO_TCP sockets only (an MPTCP socket binds and connects to
//     any port despite them, verified on 6.18); the errno is what a kernel
//     without MPTCP returns, so programs use plain TCP instead: Go's
//     net.Listen, which asks for MPTCP by default, then listens on TCP
//     (a test runs a Go HTTP server and client under the filter).
//
// # Decisions
//
// Errno: a refused known call returns EPERM, the usual "the policy said
// no"; a refused socket family returns EPERM too, so the artifact states
// one errno for refusals. The one exception is IPPROTO_MPTCP, refused with
// EPROTONOSUPPORT so that callers fall back to TCP. ENOSYS is kept for what libc must treat as "not
// implemented here": clone3, unknown numbers, and the other ABIs below.
//
// Other ABIs: i386 calls (int $0x80 or sysenter from a 64-bit or 32-bit
// process; IA32 emulation is usually on) and, on aarch64, AArch32 calls
// fail with ENOSYS, every one of them, so socketcall and the other
// multiplexers of the 32-bit ABI cannot hide a family or a request. x32
// calls (bit 0x40000000 in the number on x86_64) fail with ENOSYS as on a
// kernel built without x32. A 32-bit program therefore cannot run in the
// sandbox. Any other architecture kills the process: the filter meets one
// only when it was loaded on the wrong machine, and [InstallFilter]
// refuses that beforehand.
//
// # Loading
//
// [Load] installs raw program bytes on the calling thread with
// seccomp(SECCOMP_SET_MODE_FILTER) and no flags. It does not set
// no_new_privs (the runtime does, before Landlock) and does not
// synchronise other threads (no SECCOMP_FILTER_FLAG_TSYNC): the runtime
// calls it on one locked OS thread right before execve, and the filter
// binds that thread and everything it execs or starts. [InstallFilter]
// does the same for a [Program] after checking its architecture. Load
// exists on every OS so that the package builds everywhere; off Linux it
// fails with an error matching errors.ErrUnsupported.
//
// # Limitations
//
//   - With a unix_sockets allowlist, programs that reach a unix socket
//     with a datagram socket (syslog(3) to /dev/log, sd_notify) cannot:
//     their socket call fails with EPERM.
//   - sendmsg and sendmmsg carry their address inside a structure in
//     memory, which seccomp cannot read; with the network off they stay
//     allowed. The sockets they could use are the unix pairs, which are
//     connected and ignore an address.
//   - 32-bit programs (i386, x32, AArch32) cannot run in the sandbox.
//   - The table reviewed syscalls up to number 471 (rseq_slice_yield, the
//     newest golang.org/x/sys v0.50.0 knows): newer syscalls fail with
//     ENOSYS until the table is reviewed again, even harmless ones.
//   - The filter does not restrict what descriptors a process inherited;
//     the runtime closes them before exec.
package seccomp
