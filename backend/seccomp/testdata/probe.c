// probe runs each syscall probe of the kernel tests in a forked child and
// prints one line per probe: "NAME ok" when the call succeeded, "NAME
// errno=N" when it failed, "NAME signal=N" when the child died. The Go tests
// run it once without a filter and once under each compiled filter.
//
// Every probe is harmless without a filter too: bad descriptors, missing
// paths and impossible pids make the real calls fail after the point where
// the filter would have refused them, and namespace probes run in the
// forked child only.
//
// Usage: probe MAXNR [NAME...]   (no names: every probe)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

#define HI 0xffffffff00000000UL
#define NOPATH "/nonexistent-permc-probe"

static long maxnr;

// Results of a probe: >= 0 success, -errno failure.
static long sys(long r) { return r < 0 ? -errno : 0; }

// reap handles a fork-like call: the child exits at once, the parent waits.
static long reap(long r) {
	if (r == 0)
		_exit(0);
	if (r < 0)
		return -errno;
	waitpid((pid_t)r, NULL, __WALL);
	return 0;
}

static long sock(unsigned long fam, unsigned long type, unsigned long proto) {
	long r = syscall(SYS_socket, fam, type, proto);
	if (r >= 0)
		close((int)r);
	return sys(r);
}

static long pair(unsigned long fam, unsigned long type) {
	int sv[2];
	long r = syscall(SYS_socketpair, fam, type, 0UL, sv);
	if (r >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	return sys(r);
}

static long clonef(unsigned long flags) { return reap(syscall(SYS_clone, flags, 0UL, 0UL, 0UL, 0UL)); }

static int unixpair(int sv[2]) { return socketpair(AF_UNIX, SOCK_STREAM, 0, sv); }

static long with_pair(int which) {
	int sv[2];
	if (unixpair(sv) < 0)
		return -1000 - errno; // cannot even set up: reported as errno=10NN
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	memcpy(a.sun_path, "\0permc-probe", 12);
	socklen_t al = offsetof(struct sockaddr_un, sun_path) + 12;
	long r = 0;
	char c = 'x';
	switch (which) {
	case 0: r = connect(sv[0], (struct sockaddr *)&a, al); break;
	case 1: r = bind(sv[0], (struct sockaddr *)&a, al); break;
	case 2: r = listen(sv[0], 1); break;
	case 3: r = accept(sv[0], NULL, NULL); break;
	case 4: r = accept4(sv[0], NULL, NULL, 0); break;
	case 5: r = sendto(sv[0], &c, 1, 0, (struct sockaddr *)&a, al); break;
	case 6: r = sendto(sv[0], &c, 1, 0, NULL, 0); break;
	case 7: {
		struct iovec iov = {.iov_base = &c, .iov_len = 1};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
		r = sendmsg(sv[0], &m, 0);
		break;
	}
	}
	long res = r < 0 ? -errno : 0;
	close(sv[0]);
	close(sv[1]);
	return res;
}

// pty opens a pseudo-terminal and returns its slave, or -errno-1000.
static int pty(void) {
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		return -1000 - errno;
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0)
		return -1000 - errno;
	return s;
}

static long ioctl_pty(unsigned long req) {
	int s = pty();
	if (s < 0)
		return s;
	char c = 'x';
	struct winsize ws;
	void *arg = req == TIOCGWINSZ ? (void *)&ws : (void *)&c;
	return sys(syscall(SYS_ioctl, (long)s, req, arg));
}

static void *thread_main(void *arg) { return arg; }

static long thread(void) {
	pthread_t t;
	int e = pthread_create(&t, NULL, thread_main, NULL);
	if (e != 0)
		return -e;
	pthread_join(t, NULL);
	return 0;
}

static long clone3_probe(void) {
	struct clone_args a;
	memset(&a, 0, sizeof a);
	a.exit_signal = SIGCHLD;
	return reap(syscall(SYS_clone3, &a, sizeof a));
}

static long int80(long nr, long b, long c) {
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(b), "c"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret < 0 ? ret : 0;
#else
	(void)nr; (void)b; (void)c;
	return -9999;
#endif
}

// int80_socketcall asks the i386 socketcall multiplexer for an AF_INET
// socket; its arguments must sit below 4 GiB.
static long int80_socketcall(void) {
#if defined(__x86_64__)
	uint32_t *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (args == MAP_FAILED)
		return -1000 - errno;
	args[0] = AF_INET;
	args[1] = SOCK_STREAM;
	args[2] = 0;
	return int80(102, 1, (long)(uintptr_t)args);
#else
	return -9999;
#endif
}

struct probe {
	const char *name;
	long (*fn)(void);
};

#define P(n, expr) static long p_##n(void) { return (expr); }
P(getppid, sys(syscall(SYS_getppid)))
P(fork, reap(fork()))
P(thread, thread())
P(io_uring_setup, ({ char p[120] = {0}; long r = syscall(SYS_io_uring_setup, 1UL, p); if (r >= 0) close((int)r); sys(r); }))
P(io_uring_enter, sys(syscall(SYS_io_uring_enter, -1L, 0UL, 0UL, 0UL, NULL, 0UL)))
P(io_uring_register, sys(syscall(SYS_io_uring_register, -1L, 0UL, NULL, 0UL)))
P(ptrace, sys(syscall(SYS_ptrace, 16L /* PTRACE_ATTACH */, 0x3fffffffL, 0UL, 0UL)))
P(process_vm_readv, sys(syscall(SYS_process_vm_readv, 0x3fffffffL, NULL, 0UL, NULL, 0UL, 0UL)))
P(process_vm_writev, sys(syscall(SYS_process_vm_writev, 0x3fffffffL, NULL, 0UL, NULL, 0UL, 0UL)))
P(mount, sys(syscall(SYS_mount, "none", NOPATH, "tmpfs", 0UL, NULL)))
P(umount2, sys(syscall(SYS_umount2, NOPATH, 0UL)))
P(pivot_root, sys(syscall(SYS_pivot_root, NOPATH, NOPATH)))
P(open_tree, sys(syscall(SYS_open_tree, -1L, NOPATH, 0UL)))
P(open_tree_attr, sys(syscall(SYS_open_tree_attr, -1L, NOPATH, 0UL, NULL, 0UL)))
P(move_mount, sys(syscall(SYS_move_mount, -1L, NOPATH, -1L, NOPATH, 0UL)))
P(fsopen, sys(syscall(SYS_fsopen, "permc-no-such-fs", 0UL)))
P(fsconfig, sys(syscall(SYS_fsconfig, -1L, 0UL, NULL, NULL, 0UL)))
P(fsmount, sys(syscall(SYS_fsmount, -1L, 0UL, 0UL)))
P(fspick, sys(syscall(SYS_fspick, -1L, NOPATH, 0UL)))
P(mount_setattr, sys(syscall(SYS_mount_setattr, -1L, NOPATH, 0UL, NULL, 0UL)))
P(unshare_newuser, sys(syscall(SYS_unshare, (unsigned long)CLONE_NEWUSER)))
P(unshare_files, sys(syscall(SYS_unshare, (unsigned long)CLONE_FILES)))
P(setns, sys(syscall(SYS_setns, -1L, 0UL)))
P(kexec_load, sys(syscall(SYS_kexec_load, 0UL, 1000UL, NULL, 0UL)))
P(kexec_file_load, sys(syscall(SYS_kexec_file_load, -1L, -1L, 0UL, NULL, 0UL)))
P(bpf, sys(syscall(SYS_bpf, 0xffffUL, NULL, 0UL)))
P(perf_event_open, sys(syscall(SYS_perf_event_open, NULL, 0L, -1L, -1L, 0UL)))
P(keyctl, sys(syscall(SYS_keyctl, 0xffffUL, 0UL, 0UL, 0UL, 0UL)))
P(add_key, sys(syscall(SYS_add_key, NULL, NULL, NULL, 0UL, 0L)))
P(request_key, sys(syscall(SYS_request_key, NULL, NULL, NULL, 0L)))
P(userfaultfd, sys(syscall(SYS_userfaultfd, 0xffffffffUL)))
P(open_by_handle_at, sys(syscall(SYS_open_by_handle_at, -1L, NULL, 0UL)))
P(clone3, clone3_probe())
P(clone_newns, clonef(CLONE_NEWNS | SIGCHLD))
P(clone_newuts, clonef(CLONE_NEWUTS | SIGCHLD))
P(clone_newipc, clonef(CLONE_NEWIPC | SIGCHLD))
P(clone_newuser, clonef(CLONE_NEWUSER | SIGCHLD))
P(clone_newpid, clonef(CLONE_NEWPID | SIGCHLD))
P(clone_newnet, clonef(CLONE_NEWNET | SIGCHLD))
P(clone_newcgroup, clonef(CLONE_NEWCGROUP | SIGCHLD))
P(clone_newtime, clonef(CLONE_NEWTIME | SIGCHLD))
P(clone_ns_in_high_bits, clonef(((unsigned long)CLONE_NEWUSER << 32) | SIGCHLD))
P(socket_unix, sock(AF_UNIX, SOCK_STREAM, 0))
P(socket_unix_dgram, sock(AF_UNIX, SOCK_DGRAM, 0))
P(socket_unix_high_bits, sock(HI | AF_UNIX, SOCK_STREAM, 0))
P(socket_vsock, sock(AF_VSOCK, SOCK_STREAM, 0))
P(socket_inet, sock(AF_INET, SOCK_STREAM, 0))
P(socket_inet_high_bits, sock(HI | AF_INET, SOCK_STREAM, 0))
P(socket_inet6, sock(AF_INET6, SOCK_DGRAM, 0))
P(socket_inet_tcp, sock(AF_INET, SOCK_STREAM, IPPROTO_TCP))
P(socket_mptcp, sock(AF_INET, SOCK_STREAM, IPPROTO_MPTCP))
P(socket_mptcp6, sock(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP))
P(socket_mptcp_high_bits, sock(HI | AF_INET, SOCK_STREAM, HI | IPPROTO_MPTCP))
P(socket_netlink_route, sock(AF_NETLINK, SOCK_RAW, 0))
P(socket_netlink_audit, sock(AF_NETLINK, SOCK_RAW, 9))
P(socket_packet, sock(AF_PACKET, SOCK_RAW, 0))
P(socket_alg, sock(AF_ALG, SOCK_SEQPACKET, 0))
P(socket_family_0x10001, sock(0x10001, SOCK_STREAM, 0))
P(socketpair_unix_stream, pair(AF_UNIX, SOCK_STREAM))
P(socketpair_unix_stream_flags, pair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC))
P(socketpair_unix_stream_high_bits, pair(AF_UNIX, HI | SOCK_STREAM))
P(socketpair_unix_seqpacket, pair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC))
P(socketpair_unix_dgram, pair(AF_UNIX, SOCK_DGRAM))
P(socketpair_unix_dgram_cloexec, pair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC))
P(socketpair_unix_dgram_high_bits, pair(HI | AF_UNIX, HI | SOCK_DGRAM))
P(socketpair_unix_raw, pair(AF_UNIX, SOCK_RAW))
P(connect, with_pair(0))
P(bind, with_pair(1))
P(listen, with_pair(2))
P(accept, with_pair(3))
P(accept4, with_pair(4))
P(sendto_addr, with_pair(5))
P(sendto_null, with_pair(6))
P(sendmsg, with_pair(7))
P(tiocsti, ioctl_pty(TIOCSTI))
P(tiocsti_high_bits, ioctl_pty(HI | TIOCSTI))
P(tioclinux, ioctl_pty(TIOCLINUX))
P(tiocgwinsz, ioctl_pty(TIOCGWINSZ))
P(int80_getpid, int80(20, 0, 0))
P(int80_socketcall, int80_socketcall())
P(x32_getpid, sys(syscall(0x40000000L | SYS_getpid)))
P(nr_max, sys(syscall(maxnr, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL)))
P(nr_max_plus_1, sys(syscall(maxnr + 1)))

#define E(n) {#n, p_##n}
static const struct probe probes[] = {
	E(getppid), E(fork), E(thread),
	E(io_uring_setup), E(io_uring_enter), E(io_uring_register),
	E(ptrace), E(process_vm_readv), E(process_vm_writev),
	E(mount), E(umount2), E(pivot_root), E(open_tree), E(open_tree_attr), E(move_mount),
	E(fsopen), E(fsconfig), E(fsmount), E(fspick), E(mount_setattr),
	E(unshare_newuser), E(unshare_files), E(setns),
	E(kexec_load), E(kexec_file_load), E(bpf), E(perf_event_open),
	E(keyctl), E(add_key), E(request_key), E(userfaultfd), E(open_by_handle_at),
	E(clone3), E(clone_newns), E(clone_newuts), E(clone_newipc), E(clone_newuser),
	E(clone_newpid), E(clone_newnet), E(clone_newcgroup), E(clone_newtime), E(clone_ns_in_high_bits),
	E(socket_unix), E(socket_unix_dgram), E(socket_unix_high_bits), E(socket_vsock),
	E(socket_inet), E(socket_inet_high_bits), E(socket_inet6),
	E(socket_inet_tcp), E(socket_mptcp), E(socket_mptcp6), E(socket_mptcp_high_bits),
	E(socket_netlink_route), E(socket_netlink_audit), E(socket_packet), E(socket_alg),
	E(socket_family_0x10001),
	E(socketpair_unix_stream), E(socketpair_unix_stream_flags), E(socketpair_unix_stream_high_bits),
	E(socketpair_unix_seqpacket), E(socketpair_unix_dgram), E(socketpair_unix_dgram_cloexec),
	E(socketpair_unix_dgram_high_bits), E(socketpair_unix_raw),
	E(connect), E(bind), E(listen), E(accept), E(accept4),
	E(sendto_addr), E(sendto_null), E(sendmsg),
	E(tiocsti), E(tiocsti_high_bits), E(tioclinux), E(tiocgwinsz),
	E(int80_getpid), E(int80_socketcall), E(x32_getpid),
	E(nr_max), E(nr_max_plus_1),
};

static void run(const struct probe *p) {
	int fd[2];
	if (pipe(fd) < 0) {
		dprintf(1, "%s setup-errno=%d\n", p->name, errno);
		return;
	}
	pid_t c = fork();
	if (c < 0) {
		dprintf(1, "%s fork-errno=%d\n", p->name, errno);
		return;
	}
	if (c == 0) {
		close(fd[0]);
		long r = p->fn();
		if (write(fd[1], &r, sizeof r) != sizeof r)
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	long r;
	ssize_t n = read(fd[0], &r, sizeof r);
	close(fd[0]);
	int st;
	waitpid(c, &st, 0);
	if (WIFSIGNALED(st))
		dprintf(1, "%s signal=%d\n", p->name, WTERMSIG(st));
	else if (n != sizeof r)
		dprintf(1, "%s lost\n", p->name);
	else if (r >= 0)
		dprintf(1, "%s ok\n", p->name);
	else
		dprintf(1, "%s errno=%ld\n", p->name, -r);
}

int main(int argc, char **argv) {
	if (argc < 2) {
		dprintf(2, "usage: probe MAXNR [NAME...]\n");
		return 2;
	}
	maxnr = strtol(argv[1], NULL, 0);
	size_t n = sizeof probes / sizeof probes[0];
	for (size_t i = 0; i < n; i++) {
		int want = argc == 2;
		for (int j = 2; j < argc; j++)
			want |= strcmp(argv[j], probes[i].name) == 0;
		if (want)
			run(&probes[i]);
	}
	return 0;
}
