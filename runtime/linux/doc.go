// Package linux runs a command inside the Linux sandbox: bubblewrap for
// namespaces and the mount plan, then, in an inner stage re-executed inside
// the sandbox, no_new_privs, Landlock and seccomp on one locked thread right
// before execve.
//
// # Process model
//
// permc stays the parent. It forks /usr/bin/bwrap (by absolute path) with
// its arguments through --args, so no argument list can overflow, and hands
// over, as descriptors: the arguments, the inner stage's Spec, a status
// pipe, bwrap's --info-fd, and permc's own executable, which bwrap runs as
// /proc/self/fd/7 so the inner stage needs no path inside the sandbox. The
// inner stage checks that no capability is left, closes every descriptor
// but 0, 1, 2 and the close-on-exec status pipe, sets no_new_privs, applies
// Landlock and seccomp, and execs the command. The parent forwards signals
// to the sandboxed process, waits, and reports 125, 126 or 127 apart from
// the command's own status, from the status pipe, never from the command's
// output.
//
// The inner stage reads its whole Spec before it does anything, so the
// parent starts bwrap as soon as the mount plan is resolved and compiles
// the inner stage's seccomp and Landlock programs ([Launch.Prepare]) while
// bwrap sets up the namespaces and mounts; if that fails, bwrap is killed
// before the inner stage gets a Spec.
//
// # The unix-socket broker
//
// With a unix_sockets allowlist the command's filter sends every connect
// to permc (seccomp user notification). The inner stage loads that filter
// last, with SECCOMP_FILTER_FLAG_NEW_LISTENER, reports the listener's
// descriptor on the status pipe ("L<n>"), and waits for a byte on fdAck;
// the parent takes a copy with pidfd_getfd (the inner stage is the first
// child of bwrap's init), starts serving it, and sends the byte; the inner
// stage closes its copy and execs, so no sandboxed process ever holds the
// listener. [Broker] says what it connects. It acts on a duplicate of the
// caller's socket and on its own copy of the address, never with
// SECCOMP_USER_NOTIF_FLAG_CONTINUE, which would let the kernel read the
// address again after the check.
//
// # The Landlock-only mode
//
// With [Launch.Direct] (and [Spec.Direct]) permc starts the inner stage
// itself, as /proc/self/exe, with the Spec and the status pipe on the same
// descriptors and no namespace at all: for machines without bubblewrap or
// user namespaces. The inner stage does what it does under bwrap; the
// bounding set of an unprivileged caller cannot be emptied without a user
// namespace, and no_new_privs makes it useless. permc is the subreaper of
// the command's descendants and kills what is left when the command exits.
// Which profiles may run this way is runtime/run's decision.
//
// # Limitations
//
//   - Only x86_64 and aarch64 have seccomp programs.
//   - The command's environment is the caller's, with the proxy variables
//     replaced when the network is filtered.
package linux
