// Package landlock compiles a policy into one Landlock ruleset covering
// the filesystem, TCP ports and IPC scopes, and applies it on Linux.
//
// # What
//
// [Compile] turns an [ir.Policy] into a [Ruleset]: path rules over
// symbolic roots, the rights each carries (from the [Rights] table), TCP
// port rules, scopes, the minimum ABI, and which rule of the profile each
// layer enforces ([Coverage]). It never looks at the host. [Resolve] binds
// the roots on a machine; the evaluator methods of [Resolved] ([Resolved.Rights],
// [Resolved.CanRead], [Resolved.CanWrite], [Resolved.CanConnect]) answer
// what the kernel would allow; [Apply] enforces it.
//
// One ruleset holds everything: separate rulesets for files, network and
// scopes would make rename and link across them fail with EXDEV.
//
// # Example
//
//	rs, _ := landlock.Compile(policy)               // build time
//	res, _ := landlock.Resolve(rs, binding)         // load time
//	_, err := landlock.ApplyThread(res)             // inner stage, locked thread, then execve
//
// # Rights
//
// A read grant carries read_file, read_dir and execute; a write grant adds
// write_file, truncate, the make_* and remove_* rights and refer (without
// refer, Landlock refuses every rename across directories). ioctl_dev is
// granted only on the terminal (/dev/tty, /dev/pts). Directory rights are
// dropped from rules whose path is a file when the rule is applied.
//
// TCP: with the network off, bind and connect are handled with no port
// allowed; proxied, connect is allowed only to the proxy's and the SOCKS
// relay's ports, which inside the empty network namespace reach only
// permc's relay; with the network open, or allow_local_binding, TCP is not
// handled at all. Scopes: signals to processes outside the sandbox's
// domain are always refused; connections to abstract Unix sockets outside
// it too, unless dangerously_allow_all_unix_sockets.
//
// # Guarantees
//
//   - Landlock grants at least everything [ir.Decide] allows on Linux; it
//     never denies what the policy allows. Tests check this over generated
//     policies, and that Landlock combined with the mount plan equals
//     ir.Decide.
//   - Apply refuses with [ErrABI] when the kernel's ABI is older than
//     [Ruleset.MinABI], unless best effort is asked for, and then reports
//     what was dropped.
//
// # Limitations
//
//   - Landlock only allows. Deny rules, deny globs, read-only paths inside
//     writable ones and the metadata protection are the mount plan's
//     ([Ruleset.Denies], [Resolved.Gaps]); a profile with gaps cannot run in
//     a Landlock-only mode.
//   - The fresh /proc is readable as a whole: a rule on /proc/self would
//     follow only the first process, not the children it forks.
//   - Devices other than the terminal get no ioctl, even when a rule grants
//     them.
//   - Landlock's TCP rules match ports, not addresses, and ABI 7 has no UDP
//     rights; the network namespace and seccomp carry the rest.
//   - Landlock's TCP rules cover IPPROTO_TCP sockets only: on this machine's
//     kernel (6.18, ABI 7) an IPPROTO_MPTCP socket binds and connects to
//     any port despite them (verified; Go's net.Listen uses MPTCP by
//     default). The seccomp filter therefore refuses IPPROTO_MPTCP sockets
//     (EPROTONOSUPPORT) in every mode that allows IP sockets.
//   - Reopening an inherited descriptor through /proc/self/fd is judged by
//     the file it reaches.
//
// # Version notes
//
// ABI 1 filesystem rights, 2 refer, 3 truncate, 4 TCP, 5 ioctl_dev, 6
// scopes; this package needs ABI 6 to enforce everything. With best effort
// on ABI 1, go-landlock applies nothing at all, since refer cannot be
// granted there.
package landlock
