package ir

import (
	"fmt"
	"sort"
	"strings"
)

// This file is the reference table of the Linux syscall filter: per
// architecture, the numbers of every syscall the filter names; per network
// mode, which syscalls are refused outright, which are judged by their
// arguments, and which socket families may be created. backend/seccomp
// compiles it to BPF and its tests run that BPF against Decide below; no
// other place decides what the filter does.
//
// Choices the table makes (the package docs of backend/seccomp repeat them
// for users):
//
//   - A refused known syscall fails with EPERM. A refused socket family also
//     fails with EPERM: one errno for "the policy said no" is easiest to
//     state and to recognise, and the callers that probe families (glibc's
//     getaddrinfo opening netlink, IPv6 probes) fall back on any error.
//   - clone3, numbers above the highest this table has reviewed, x32 calls
//     and the 32-bit compat ABI fail with ENOSYS: libc takes ENOSYS to mean
//     "not implemented here" and falls back (clone3 to clone), where EPERM
//     is fatal to it.
//   - Any other architecture kills the process: a filter meets a foreign
//     architecture only when it was loaded on the wrong machine.
//   - socket(AF_INET or AF_INET6, *, IPPROTO_MPTCP) fails with
//     EPROTONOSUPPORT in every mode that allows those families: Landlock's
//     TCP port rules cover IPPROTO_TCP only, and an MPTCP socket binds and
//     connects to any port despite them (verified on 6.18, ABI 7). The
//     errno is the one a kernel without MPTCP gives, so MPTCP-aware programs
//     fall back to TCP without retrying (Go's net.Listen, which uses MPTCP
//     by default, probes once and then uses TCP). In the full network mode
//     no port rule applies, but the refusal is kept so that every mode
//     offers the same TCP.
//   - With the network proxied, AF_NETLINK is allowed for NETLINK_ROUTE
//     only: getifaddrs needs it (Node's os.networkInterfaces, Go's
//     net.Interfaces), and inside the sandbox's empty network namespace it
//     shows the loopback device and nothing else. Other netlink protocols
//     (audit, uevents, sock_diag) are refused. With the network off, no
//     netlink at all.

// Errno is a Linux error number a refused syscall returns. The values are
// the generic Linux ones, identical on x86_64 and aarch64.
type Errno uint16

const (
	EPERM           Errno = 1  // operation not permitted: the policy refuses the call
	ENOSYS          Errno = 38 // function not implemented: libc falls back
	EPROTONOSUPPORT Errno = 93 // protocol not supported: the caller falls back to another
	EOPNOTSUPP      Errno = 95 // operation not supported: tools that copy attributes go on without them
)

func (e Errno) String() string {
	switch e {
	case EPERM:
		return "EPERM"
	case ENOSYS:
		return "ENOSYS"
	case EPROTONOSUPPORT:
		return "EPROTONOSUPPORT"
	case EOPNOTSUPP:
		return "EOPNOTSUPP"
	}
	return fmt.Sprintf("errno(%d)", uint16(e))
}

// MarshalText renders the errno by name.
func (e Errno) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// Audit architecture values as seccomp_data.arch carries them.
const (
	AuditArchX86_64  uint32 = 0xc000003e
	AuditArchI386    uint32 = 0x40000003
	AuditArchAArch64 uint32 = 0xc00000b7
	AuditArchARM     uint32 = 0x40000028
)

// X32SyscallBit marks an x32 syscall on x86_64: same audit architecture,
// this bit set in the number.
const X32SyscallBit uint32 = 0x40000000

// CompatABI is a 32-bit ABI the kernel of an architecture can also run,
// reported under its own audit architecture.
type CompatABI struct {
	Name      string // "i386"
	AuditArch uint32
	Entry     string // how a process reaches it, for the docs
}

// SyscallABI is one architecture's syscall ABI as a seccomp filter sees it.
type SyscallABI struct {
	Name      string // "x86_64", "aarch64"
	AuditArch uint32
	// MaxSyscall is the highest syscall number the table has reviewed.
	// Every number above it fails with ENOSYS, so a syscall added to a
	// later kernel (a new mount API, say) cannot slip past the filter.
	MaxSyscall uint32
	// MaxSyscallName names the syscall at MaxSyscall, for the docs.
	MaxSyscallName string
	// X32Bit is non-zero when numbers with this bit set are a second ABI
	// under the same audit architecture (x32 on x86_64).
	X32Bit uint32
	// Compat lists the 32-bit ABIs the kernel may run for this
	// architecture.
	Compat []CompatABI
	// Numbers holds every syscall any rule names, by name.
	Numbers map[string]uint32
}

// SyscallName returns the syscall the table knows by number nr, or "".
func (a *SyscallABI) SyscallName(nr uint32) string {
	for name, n := range a.Numbers {
		if n == nr {
			return name
		}
	}
	return ""
}

// SyscallABIs lists the architectures permc emits filters for, in output
// order. The tables are shared: callers must not modify them.
func SyscallABIs() []*SyscallABI { return []*SyscallABI{&abiX86_64, &abiAArch64} }

// LookupSyscallABI returns the ABI with the given name, or nil.
func LookupSyscallABI(name string) *SyscallABI {
	for _, a := range SyscallABIs() {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// The numbers come from the kernel's syscall tables
// (arch/x86/entry/syscalls/syscall_64.tbl and the generic table aarch64
// uses) as golang.org/x/sys v0.50.0 carries them; a test of
// backend/seccomp compares them with x/sys on the machine's own
// architecture. MaxSyscall is rseq_slice_yield (471) on both: every syscall
// up to it has been reviewed, and the ones that could undo the sandbox are
// in alwaysRefused below (open_tree_attr, 467, is the newest of them).
var abiX86_64 = SyscallABI{
	Name:           "x86_64",
	AuditArch:      AuditArchX86_64,
	MaxSyscall:     471,
	MaxSyscallName: "rseq_slice_yield",
	X32Bit:         X32SyscallBit,
	Compat:         []CompatABI{{Name: "i386", AuditArch: AuditArchI386, Entry: "int $0x80, sysenter"}},
	Numbers: map[string]uint32{
		"ioctl":             16,
		"socket":            41,
		"connect":           42,
		"accept":            43,
		"sendto":            44,
		"sendmsg":           46,
		"sendmmsg":          307,
		"bind":              49,
		"listen":            50,
		"socketpair":        53,
		"clone":             56,
		"ptrace":            101,
		"pivot_root":        155,
		"mount":             165,
		"umount2":           166,
		"kexec_load":        246,
		"add_key":           248,
		"request_key":       249,
		"keyctl":            250,
		"unshare":           272,
		"accept4":           288,
		"perf_event_open":   298,
		"open_by_handle_at": 304,
		"setns":             308,
		"process_vm_readv":  310,
		"process_vm_writev": 311,
		"kexec_file_load":   320,
		"bpf":               321,
		"userfaultfd":       323,
		"io_uring_setup":    425,
		"io_uring_enter":    426,
		"io_uring_register": 427,
		"open_tree":         428,
		"move_mount":        429,
		"fsopen":            430,
		"fsconfig":          431,
		"fsmount":           432,
		"fspick":            433,
		"clone3":            435,
		"mount_setattr":     442,
		"open_tree_attr":    467,
		"chmod":             90,
		"fchmod":            91,
		"fchmodat":          268,
		"fchmodat2":         452,
		"setxattr":          188,
		"lsetxattr":         189,
		"fsetxattr":         190,
		"setxattrat":        463,
		"removexattr":       197,
		"lremovexattr":      198,
		"fremovexattr":      199,
		"removexattrat":     466,
		"chown":             92,
		"fchown":            93,
		"lchown":            94,
		"fchownat":          260,
		"open":              2,
		"creat":             85,
		"mknod":             133,
		"openat":            257,
		"mknodat":           259,
		"openat2":           437,
	},
}

var abiAArch64 = SyscallABI{
	Name:           "aarch64",
	AuditArch:      AuditArchAArch64,
	MaxSyscall:     471,
	MaxSyscallName: "rseq_slice_yield",
	Compat:         []CompatABI{{Name: "arm", AuditArch: AuditArchARM, Entry: "svc from AArch32 code"}},
	Numbers: map[string]uint32{
		"ioctl":             29,
		"umount2":           39,
		"mount":             40,
		"pivot_root":        41,
		"unshare":           97,
		"kexec_load":        104,
		"ptrace":            117,
		"socket":            198,
		"socketpair":        199,
		"bind":              200,
		"listen":            201,
		"accept":            202,
		"connect":           203,
		"sendto":            206,
		"sendmsg":           211,
		"sendmmsg":          269,
		"add_key":           217,
		"request_key":       218,
		"keyctl":            219,
		"clone":             220,
		"perf_event_open":   241,
		"accept4":           242,
		"open_by_handle_at": 265,
		"setns":             268,
		"process_vm_readv":  270,
		"process_vm_writev": 271,
		"bpf":               280,
		"userfaultfd":       282,
		"kexec_file_load":   294,
		"io_uring_setup":    425,
		"io_uring_enter":    426,
		"io_uring_register": 427,
		"open_tree":         428,
		"move_mount":        429,
		"fsopen":            430,
		"fsconfig":          431,
		"fsmount":           432,
		"fspick":            433,
		"clone3":            435,
		"mount_setattr":     442,
		"open_tree_attr":    467,
		"fchmod":            52,
		"fchmodat":          53,
		"fchmodat2":         452,
		"setxattr":          5,
		"lsetxattr":         6,
		"fsetxattr":         7,
		"setxattrat":        463,
		"removexattr":       14,
		"lremovexattr":      15,
		"fremovexattr":      16,
		"removexattrat":     466,
		"fchownat":          54,
		"fchown":            55,
		"openat":            56,
		"mknodat":           33,
		"openat2":           437,
	},
}

// SocketFamily is an address family as socket(2) takes it.
type SocketFamily uint32

// The families the table names.
const (
	AFUnix    SocketFamily = 1
	AFInet    SocketFamily = 2
	AFInet6   SocketFamily = 10
	AFNetlink SocketFamily = 16
	AFPacket  SocketFamily = 17
	AFVsock   SocketFamily = 40
)

var familyNames = map[SocketFamily]string{
	AFUnix: "AF_UNIX", AFInet: "AF_INET", AFInet6: "AF_INET6",
	AFNetlink: "AF_NETLINK", AFPacket: "AF_PACKET", AFVsock: "AF_VSOCK",
}

func (f SocketFamily) String() string {
	if s, ok := familyNames[f]; ok {
		return s
	}
	return fmt.Sprintf("AF(%d)", uint32(f))
}

// Argument values the rules compare with; the same on x86_64 and aarch64.
const (
	NetlinkRoute uint32 = 0   // NETLINK_ROUTE, the protocol getifaddrs uses
	IPProtoMPTCP uint32 = 262 // IPPROTO_MPTCP: multipath TCP, which Landlock's TCP rules do not cover

	SockStream    uint32 = 1
	SockDgram     uint32 = 2
	SockSeqpacket uint32 = 5
	// SockFlagBits are the flags socket and socketpair accept in the type
	// argument (SOCK_NONBLOCK | SOCK_CLOEXEC); rules mask them off.
	SockFlagBits uint32 = 0x800 | 0x80000

	TIOCSTI   uint32 = 0x5412 // push a byte into the terminal's input
	TIOCLINUX uint32 = 0x541c // Linux console requests, among them paste selection

	// CloneNamespaceFlags are the clone flags that create a namespace:
	// CLONE_NEWNS, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWCGROUP and
	// NEWTIME. For clone (not clone3) NEWTIME's bit is part of the exit
	// signal, where it would mean a signal number above 64, which no
	// program asks for; refusing it costs nothing.
	CloneNamespaceFlags uint32 = 0x00020000 | 0x04000000 | 0x08000000 | 0x10000000 |
		0x20000000 | 0x40000000 | 0x02000000 | 0x00000080
)

// SyscallAction is what the filter does with a call.
type SyscallAction uint8

const (
	SysAllow  SyscallAction = iota // run the call
	SysErrno                       // fail it with the verdict's errno
	SysKill                        // kill the whole process
	SysNotify                      // hand it to permc's broker (seccomp user notification)
)

func (a SyscallAction) String() string {
	switch a {
	case SysAllow:
		return "allow"
	case SysErrno:
		return "errno"
	case SysKill:
		return "kill"
	}
	return "notify"
}

// SyscallVerdict is the filter's answer for one call, with the reason the
// artifact shows next to it.
type SyscallVerdict struct {
	Action SyscallAction
	Errno  Errno // for SysErrno
	Why    string
}

func (v SyscallVerdict) String() string {
	if v.Action == SysErrno {
		return "errno " + v.Errno.String()
	}
	return v.Action.String()
}

// Same reports whether v and w have the same effect, reasons aside.
func (v SyscallVerdict) Same(w SyscallVerdict) bool {
	return v.Action == w.Action && (v.Action != SysErrno || v.Errno == w.Errno)
}

func allow(why string) SyscallVerdict { return SyscallVerdict{Action: SysAllow, Why: why} }

func refuse(e Errno, why string) SyscallVerdict {
	return SyscallVerdict{Action: SysErrno, Errno: e, Why: why}
}

// ArgOp is how an argument condition tests its argument.
type ArgOp uint8

const (
	// ArgMaskedEq32: the low 32 bits of the argument, and-ed with Mask,
	// equal Value. The kernel reads int arguments (families, types, ioctl
	// requests, clone flags) from the low 32 bits only, so the high bits,
	// whatever a caller puts there, never change a decision.
	ArgMaskedEq32 ArgOp = iota
	// ArgAnyBits32: the low 32 bits of the argument have a bit of Mask set.
	ArgAnyBits32
	// ArgNonZero64: the whole 64-bit argument is not zero (a pointer was
	// given).
	ArgNonZero64
)

// ArgCond is one test of one syscall argument.
type ArgCond struct {
	Arg   uint8 // 0..5
	Op    ArgOp
	Mask  uint32
	Value uint32
	What  string // "family == AF_UNIX", for the disassembly
}

// Match reports whether the raw argument registers satisfy c.
func (c ArgCond) Match(args [6]uint64) bool {
	v := args[c.Arg]
	switch c.Op {
	case ArgMaskedEq32:
		return uint32(v)&c.Mask == c.Value
	case ArgAnyBits32:
		return uint32(v)&c.Mask != 0
	}
	return v != 0
}

func (c ArgCond) String() string {
	if c.What != "" {
		return c.What
	}
	switch c.Op {
	case ArgMaskedEq32:
		return fmt.Sprintf("args[%d] & %#x == %#x", c.Arg, c.Mask, c.Value)
	case ArgAnyBits32:
		return fmt.Sprintf("args[%d] & %#x != 0", c.Arg, c.Mask)
	}
	return fmt.Sprintf("args[%d] != 0", c.Arg)
}

// ArgCase is a verdict that applies when every condition holds.
type ArgCase struct {
	When    []ArgCond
	Verdict SyscallVerdict
}

// SyscallRule is what the filter does with one syscall: the first case
// whose conditions all hold, else Default. A rule without cases is
// unconditional.
type SyscallRule struct {
	Name    string
	Cases   []ArgCase
	Default SyscallVerdict
}

// Decide applies the rule to the raw argument registers.
func (r *SyscallRule) Decide(args [6]uint64) SyscallVerdict {
	for _, c := range r.Cases {
		if matchAll(c.When, args) {
			return c.Verdict
		}
	}
	return r.Default
}

func matchAll(conds []ArgCond, args [6]uint64) bool {
	for _, c := range conds {
		if !c.Match(args) {
			return false
		}
	}
	return true
}

// FamilyRule says whether socket(2) may create sockets of one family.
type FamilyRule struct {
	Family SocketFamily
	Allow  bool
	// Protocols, when set on an allowed family, are the only protocols
	// allowed; any other protocol of the family is refused.
	Protocols []uint32
	// Refused are protocols of an allowed family refused with their own
	// errno; they are checked before Protocols.
	Refused []ProtocolRefusal
	Why     string
}

// ProtocolRefusal refuses one protocol of an allowed family.
type ProtocolRefusal struct {
	Protocol uint32
	Errno    Errno
	Why      string
}

// mptcpRefused is the refusal of IPPROTO_MPTCP on the IP families.
var mptcpRefused = []ProtocolRefusal{{Protocol: IPProtoMPTCP, Errno: EPROTONOSUPPORT,
	Why: "IPPROTO_MPTCP: Landlock's TCP port rules do not cover MPTCP sockets; " +
		"EPROTONOSUPPORT, as without MPTCP, makes programs fall back to TCP"}}

// UnixSockets is how the filter treats AF_UNIX sockets.
type UnixSockets uint8

const (
	// UnixPairsOnly: socket(AF_UNIX) and datagram socketpairs are
	// refused; stream and seqpacket socketpairs are allowed. Host sockets
	// (container engines, session buses, agents) are unreachable.
	UnixPairsOnly UnixSockets = iota
	// UnixBroker: stream and seqpacket socket(AF_UNIX) are allowed and
	// connect goes to permc's broker, which connects only allowlisted
	// sockets. Datagram unix sockets stay refused: sendto names an address
	// per message, and a stream or seqpacket socket ignores one.
	UnixBroker
	// UnixAll: dangerously_allow_all_unix_sockets; AF_UNIX is unfiltered.
	UnixAll
)

func (u UnixSockets) String() string {
	switch u {
	case UnixPairsOnly:
		return "pairs-only"
	case UnixBroker:
		return "broker"
	}
	return "all"
}

// MarshalText renders the mode by name.
func (u UnixSockets) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// SyscallRules is the whole syscall policy for one network mode, the same
// for every architecture: the architecture-level verdicts, the socket
// families, and the rules of the syscalls it names. A syscall it does not
// name is allowed when its number is at most the ABI's MaxSyscall.
type SyscallRules struct {
	Mode        NetMode
	UnixSockets UnixSockets
	// Errno is what refused known calls return.
	Errno Errno
	// UnknownErrno is what numbers above MaxSyscall return, and clone3.
	UnknownErrno Errno

	Foreign SyscallVerdict // an audit architecture the ABI does not name
	Compat  SyscallVerdict // the 32-bit compat ABI (i386 through int $0x80)
	X32     SyscallVerdict // x32 numbers on x86_64
	Unknown SyscallVerdict // numbers above MaxSyscall

	// Families, first match wins, then OtherFamilies; socket and
	// socketpair both apply them.
	Families      []FamilyRule
	OtherFamilies SyscallVerdict

	// Rules, sorted by name.
	Rules []SyscallRule
}

// Rule returns the rule for the named syscall, or nil when the syscall is
// allowed unconditionally.
func (r *SyscallRules) Rule(name string) *SyscallRule {
	i := sort.Search(len(r.Rules), func(i int) bool { return r.Rules[i].Name >= name })
	if i < len(r.Rules) && r.Rules[i].Name == name {
		return &r.Rules[i]
	}
	return nil
}

// Refused lists the syscalls refused whatever their arguments.
func (r *SyscallRules) Refused() []SyscallRule {
	var out []SyscallRule
	for _, s := range r.Rules {
		if len(s.Cases) == 0 && s.Default.Action != SysAllow {
			out = append(out, s)
		}
	}
	return out
}

// ArgChecked lists the syscalls judged by their arguments.
func (r *SyscallRules) ArgChecked() []SyscallRule {
	var out []SyscallRule
	for _, s := range r.Rules {
		if len(s.Cases) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// AllowedFamilies names the families socket(2) may create, with
// "AF_NETLINK(protocol 0)" style notes for protocol limits, and reports
// whether families not named are allowed too.
func (r *SyscallRules) AllowedFamilies() (named []string, others bool) {
	for _, f := range r.Families {
		if !f.Allow {
			continue
		}
		s := f.Family.String()
		if f.Family == AFUnix && r.UnixSockets == UnixBroker {
			s += "(stream, seqpacket)"
		}
		if len(f.Protocols) > 0 {
			ps := make([]string, len(f.Protocols))
			for i, p := range f.Protocols {
				ps[i] = fmt.Sprint(p)
			}
			s += "(protocol " + strings.Join(ps, ",") + ")"
		}
		if len(f.Refused) > 0 {
			ps := make([]string, len(f.Refused))
			for i, p := range f.Refused {
				ps[i] = fmt.Sprint(p.Protocol)
			}
			s += "(not protocol " + strings.Join(ps, ",") + ")"
		}
		named = append(named, s)
	}
	return named, r.OtherFamilies.Action == SysAllow
}

// Decide is the reference decision for one call as seccomp presents it on
// ABI a: the audit architecture, the number and the raw argument registers.
// backend/seccomp's tests require its BPF to agree with it everywhere.
func (r *SyscallRules) Decide(a *SyscallABI, auditArch, nr uint32, args [6]uint64) SyscallVerdict {
	if auditArch != a.AuditArch {
		for _, c := range a.Compat {
			if c.AuditArch == auditArch {
				return r.Compat
			}
		}
		return r.Foreign
	}
	if a.X32Bit != 0 && nr&a.X32Bit != 0 {
		return r.X32
	}
	if nr > a.MaxSyscall {
		return r.Unknown
	}
	if rule := r.Rule(a.SyscallName(nr)); rule != nil {
		return rule.Decide(args)
	}
	return allow("")
}

// refusedGroup is a set of syscalls refused in every mode, for one reason.
type refusedGroup struct {
	names []string
	errno Errno
	why   string
}

// alwaysRefused holds the syscalls no profile may use, whatever its
// network mode. ENOSYS marks the one a libc must fall back from.
var alwaysRefused = []refusedGroup{
	{[]string{"io_uring_setup", "io_uring_enter", "io_uring_register"}, EPERM,
		"io_uring submits opens, sockets and connects that never pass through this filter"},
	{[]string{"ptrace", "process_vm_readv", "process_vm_writev"}, EPERM,
		"reads or writes another process's memory"},
	{[]string{"mount", "umount2", "pivot_root", "open_tree", "open_tree_attr", "move_mount",
		"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"}, EPERM,
		"the mount API could undo or hide the sandbox's mount plan"},
	{[]string{"unshare", "setns"}, EPERM,
		"creating or joining namespaces could escape the sandbox's own"},
	{[]string{"clone3"}, ENOSYS,
		"clone3's flags sit in memory the filter cannot read; ENOSYS makes libc fall back to clone"},
	{[]string{"kexec_load", "kexec_file_load"}, EPERM, "loads a new kernel"},
	{[]string{"bpf"}, EPERM, "eBPF programs and maps are kernel attack surface"},
	{[]string{"perf_event_open"}, EPERM, "performance counters are kernel attack surface and side channels"},
	{[]string{"keyctl", "add_key", "request_key"}, EPERM, "the kernel keyrings are not namespaced"},
	{[]string{"userfaultfd"}, EPERM, "stalls kernel page faults, a common exploit primitive"},
	{[]string{"open_by_handle_at"}, EPERM,
		"opens files by handle, around path-based rules (also needs a capability the sandbox drops)"},
}

// netOffRefused are refused with the network off and no AF_UNIX socket
// allowed: no socket the sandbox can create needs them.
var netOffRefused = []string{"connect", "bind", "listen", "accept", "accept4"}

// SyscallPolicy returns the syscall rules for a network mode. unixBroker
// says the profile allowlists unix_sockets (served by a broker);
// allowAllUnix is dangerously_allow_all_unix_sockets, which wins over the
// broker.
func SyscallPolicy(mode NetMode, unixBroker bool, allowAllUnix bool) SyscallRules {
	r := SyscallRules{
		Mode:         mode,
		UnixSockets:  UnixPairsOnly,
		Errno:        EPERM,
		UnknownErrno: ENOSYS,
		Foreign: SyscallVerdict{Action: SysKill,
			Why: "a foreign architecture: the filter was loaded on the wrong machine"},
		Compat:  refuse(ENOSYS, "the 32-bit compat ABI (i386 int $0x80, AArch32) is not offered in the sandbox"),
		X32:     refuse(ENOSYS, "the x32 ABI is not offered in the sandbox"),
		Unknown: refuse(ENOSYS, "a syscall newer than this table: ENOSYS lets libc fall back"),
	}
	switch {
	case allowAllUnix:
		r.UnixSockets = UnixAll
	case unixBroker:
		r.UnixSockets = UnixBroker
	}
	r.Families, r.OtherFamilies = familyRules(mode, r.UnixSockets)

	rules := map[string]SyscallRule{}
	for _, g := range alwaysRefused {
		for _, n := range g.names {
			rules[n] = SyscallRule{Name: n, Default: refuse(g.errno, g.why)}
		}
	}
	rules["clone"] = cloneRule()
	rules["ioctl"] = ioctlRule()
	for _, c := range setuidRules() {
		rules[c.Name] = c
	}
	rules["socket"] = socketRule(r)
	rules["socketpair"] = socketpairRule(r)
	for _, s := range addressRules(mode, r.UnixSockets) {
		rules[s.Name] = s
	}

	for _, s := range rules {
		r.Rules = append(r.Rules, s)
	}
	sort.Slice(r.Rules, func(i, j int) bool { return r.Rules[i].Name < r.Rules[j].Name })
	return r
}

func cloneRule() SyscallRule {
	return SyscallRule{
		Name: "clone",
		Cases: []ArgCase{{
			When: []ArgCond{{Arg: 0, Op: ArgAnyBits32, Mask: CloneNamespaceFlags,
				What: "flags has a CLONE_NEW* bit"}},
			Verdict: refuse(EPERM, "clone creating a namespace could escape the sandbox's own"),
		}},
		Default: allow("clone without namespace flags: fork, vfork, threads"),
	}
}

// WithoutNamespaces adds the rules of the Landlock-only mode, where the
// command runs in the caller's own mount namespace: Landlock does not
// govern a file's mode or extended attributes, so a command could make
// what it may only read writable by other users (permc's own state, the
// caller's dotfiles), for any local user to change. The chmod calls fail
// with EPERM when the new mode has a group or other write bit, the chown
// calls always (an unprivileged caller can only change a file's group,
// and a group-writable file would then open to that group), and setting
// or removing extended attributes (POSIX ACLs among them) fails with
// EOPNOTSUPP. Only the names abi has are added (aarch64 has no
// chmod).
func (r *SyscallRules) WithoutNamespaces(abi *SyscallABI) {
	xattr := []string{"setxattr", "lsetxattr", "fsetxattr", "setxattrat",
		"removexattr", "lremovexattr", "fremovexattr", "removexattrat"}
	add := chmodRules(setuidBit|0o022, "the Landlock-only mode: Landlock does not govern modes, so no setuid, "+
		"group or other write bit")
	for _, name := range xattr {
		add = append(add, SyscallRule{Name: name, Default: refuse(EOPNOTSUPP,
			"the Landlock-only mode: extended attributes (POSIX ACLs) could open a file to other users")})
	}
	for _, name := range []string{"chown", "fchown", "lchown", "fchownat"} {
		add = append(add, SyscallRule{Name: name, Default: refuse(EPERM,
			"the Landlock-only mode: a new group could open a group-writable file to other users")})
	}
	byName := map[string]SyscallRule{}
	for _, x := range r.Rules {
		byName[x.Name] = x
	}
	for _, a := range add {
		if _, ok := abi.Numbers[a.Name]; ok {
			byName[a.Name] = a // the chmod rules replace the stricter-less ones
		}
	}
	r.Rules = r.Rules[:0]
	for _, x := range byName {
		r.Rules = append(r.Rules, x)
	}
	sort.Slice(r.Rules, func(i, j int) bool { return r.Rules[i].Name < r.Rules[j].Name })
}

// OnlySomeArches names the syscalls of the rules that not every
// architecture has (aarch64 has only the *at forms).
var OnlySomeArches = map[string]bool{
	"chmod": true, "chown": true, "lchown": true, "open": true, "creat": true, "mknod": true,
}

// setuidBit is S_ISUID. S_ISGID is left alone: tools keep a shared
// folder's setgid bit when they chmod inside it, and a setgid file runs
// only with its group.
const setuidBit = 0o4000

// Open flags whose calls create a file: O_CREAT, and __O_TMPFILE (the
// bit O_TMPFILE adds to O_DIRECTORY).
const (
	oCreat   = 0o100
	oTmpfile = 0o20000000
)

// setuidRules refuse to make a setuid file, by chmod or at creation: in a
// writable root it would run as the caller, or as root when permc runs as
// root, for any local user (the kernel clears the bit when the sandbox
// writes the file, but not when root later writes it in place). openat2
// carries its mode in memory the filter cannot read: it fails with ENOSYS,
// and callers fall back to openat.
func setuidRules() []SyscallRule {
	const why = "a setuid file in a writable root would run as the caller, or as root, for any local user"
	out := chmodRules(setuidBit, why)
	mode := func(arg uint8) ArgCond {
		return ArgCond{Arg: arg, Op: ArgAnyBits32, Mask: setuidBit, What: "mode & S_ISUID"}
	}
	creating := func(arg uint8) ArgCond {
		return ArgCond{Arg: arg, Op: ArgAnyBits32, Mask: oCreat | oTmpfile, What: "flags & (O_CREAT|O_TMPFILE)"}
	}
	for _, r := range []struct {
		name       string
		flags, arg int
	}{{"open", 1, 2}, {"openat", 2, 3}, {"creat", -1, 1}, {"mknod", -1, 1}, {"mknodat", -1, 2}} {
		when := []ArgCond{mode(uint8(r.arg))}
		if r.flags >= 0 {
			when = append([]ArgCond{creating(uint8(r.flags))}, when...)
		}
		out = append(out, SyscallRule{Name: r.name, Cases: []ArgCase{{When: when, Verdict: refuse(EPERM, why)}},
			Default: allow("files made without S_ISUID")})
	}
	out = append(out, SyscallRule{Name: "openat2", Default: refuse(ENOSYS,
		"openat2's mode is in memory the filter cannot read; ENOSYS makes libc and Go fall back to openat")})
	return out
}

// chmodRules refuse, with EPERM, a chmod-family call whose mode has a bit
// of mask. aarch64 has no chmod; callers keep the names the ABI has.
func chmodRules(mask uint32, why string) []SyscallRule {
	modeArg := []struct {
		name string
		arg  uint8
	}{{"chmod", 1}, {"fchmod", 1}, {"fchmodat", 2}, {"fchmodat2", 2}}
	what := fmt.Sprintf("mode & %#o", mask)
	var out []SyscallRule
	for _, m := range modeArg {
		out = append(out, SyscallRule{Name: m.name,
			Cases: []ArgCase{{When: []ArgCond{{Arg: m.arg, Op: ArgAnyBits32, Mask: mask, What: what}},
				Verdict: refuse(EPERM, why)}},
			Default: allow(fmt.Sprintf("modes without %#o", mask))})
	}
	return out
}

func ioctlRule() SyscallRule {
	return SyscallRule{
		Name: "ioctl",
		Cases: []ArgCase{
			{When: []ArgCond{eq32(1, TIOCSTI, "request == TIOCSTI")},
				Verdict: refuse(EPERM, "TIOCSTI types into the terminal, to run commands after the sandbox exits")},
			{When: []ArgCond{eq32(1, TIOCLINUX, "request == TIOCLINUX")},
				Verdict: refuse(EPERM, "TIOCLINUX can paste the console selection as input")},
		},
		Default: allow("other ioctl requests"),
	}
}

func eq32(arg uint8, v uint32, what string) ArgCond {
	return ArgCond{Arg: arg, Op: ArgMaskedEq32, Mask: 0xffffffff, Value: v, What: what}
}

// familyRules is the per-mode table of socket families.
func familyRules(mode NetMode, unix UnixSockets) ([]FamilyRule, SyscallVerdict) {
	unixRule := FamilyRule{Family: AFUnix, Allow: unix != UnixPairsOnly,
		Why: "socket(AF_UNIX) reaches host sockets (container engine, session bus, agents)"}
	switch unix {
	case UnixAll:
		unixRule.Why = "dangerously_allow_all_unix_sockets"
	case UnixBroker:
		unixRule.Why = "unix_sockets allowlist: stream and seqpacket only; connect goes to the broker"
	}
	vsock := FamilyRule{Family: AFVsock, Why: "AF_VSOCK reaches the hypervisor host (a known escape on WSL)"}

	switch mode {
	case NetOff:
		return []FamilyRule{unixRule, vsock}, refuse(EPERM, "network is off")
	case NetProxied:
		relay := "in the empty network namespace it reaches only the relay"
		return []FamilyRule{
			unixRule, vsock,
			{Family: AFInet, Allow: true, Refused: mptcpRefused, Why: relay},
			{Family: AFInet6, Allow: true, Refused: mptcpRefused, Why: relay},
			{Family: AFNetlink, Allow: true, Protocols: []uint32{NetlinkRoute},
				Why: "route netlink for getifaddrs; it sees only the sandbox's loopback"},
		}, refuse(EPERM, "network is proxied: only IP sockets to the relay")
	}
	open := "network is fully open"
	return []FamilyRule{unixRule, vsock,
		{Family: AFInet, Allow: true, Refused: mptcpRefused, Why: open},
		{Family: AFInet6, Allow: true, Refused: mptcpRefused, Why: open},
	}, allow(open)
}

// familyCases turns family rules into cases over socket's or socketpair's
// (family, type, protocol) arguments.
func familyCases(fams []FamilyRule) []ArgCase {
	var cs []ArgCase
	for _, f := range fams {
		fam := eq32(0, uint32(f.Family), "family == "+f.Family.String())
		if !f.Allow {
			cs = append(cs, ArgCase{When: []ArgCond{fam}, Verdict: refuse(EPERM, f.Why)})
			continue
		}
		for _, p := range f.Refused {
			cs = append(cs, ArgCase{When: []ArgCond{fam, eq32(2, p.Protocol, fmt.Sprintf("protocol == %d", p.Protocol))},
				Verdict: refuse(p.Errno, p.Why)})
		}
		for _, p := range f.Protocols {
			cs = append(cs, ArgCase{When: []ArgCond{fam, eq32(2, p, fmt.Sprintf("protocol == %d", p))},
				Verdict: allow(f.Why)})
		}
		if len(f.Protocols) > 0 {
			cs = append(cs, ArgCase{When: []ArgCond{fam},
				Verdict: refuse(EPERM, f.Family.String()+": only the listed protocols")})
			continue
		}
		cs = append(cs, ArgCase{When: []ArgCond{fam}, Verdict: allow(f.Why)})
	}
	return cs
}

// socketRule applies the family table; with the broker, unix sockets are
// stream and seqpacket only.
func socketRule(r SyscallRules) SyscallRule {
	if r.UnixSockets != UnixBroker {
		return SyscallRule{Name: "socket", Cases: familyCases(r.Families), Default: r.OtherFamilies}
	}
	cs := unixTypeCases(allow("unix_sockets allowlist: connect goes to the broker"))
	return SyscallRule{Name: "socket", Cases: append(cs, familyCases(otherFamilies(r.Families))...),
		Default: r.OtherFamilies}
}

// unixTypeCases allows AF_UNIX stream and seqpacket sockets with verdict
// ok and refuses the other types: a datagram socket (SOCK_RAW is one too,
// for AF_UNIX) can address any host socket with sendto.
func unixTypeCases(ok SyscallVerdict) []ArgCase {
	unix := eq32(0, uint32(AFUnix), "family == AF_UNIX")
	typ := func(t uint32, name string) ArgCond {
		return ArgCond{Arg: 1, Op: ArgMaskedEq32, Mask: ^SockFlagBits, Value: t,
			What: "type without SOCK_NONBLOCK|SOCK_CLOEXEC == " + name}
	}
	return []ArgCase{
		{When: []ArgCond{unix, typ(SockStream, "SOCK_STREAM")}, Verdict: ok},
		{When: []ArgCond{unix, typ(SockSeqpacket, "SOCK_SEQPACKET")}, Verdict: ok},
		{When: []ArgCond{unix}, Verdict: refuse(EPERM,
			"a datagram unix socket can address any host socket with sendto")},
	}
}

// otherFamilies is fams without AF_UNIX.
func otherFamilies(fams []FamilyRule) []FamilyRule {
	var rest []FamilyRule
	for _, f := range fams {
		if f.Family != AFUnix {
			rest = append(rest, f)
		}
	}
	return rest
}

// socketpairRule allows AF_UNIX stream and seqpacket pairs in every mode; a
// datagram pair (SOCK_RAW is one too, for AF_UNIX) could address any host
// socket with sendto, so it is refused unless every unix socket is.
// Other families follow the socket family table.
func socketpairRule(r SyscallRules) SyscallRule {
	var cs []ArgCase
	if r.UnixSockets == UnixAll {
		cs = append(cs, ArgCase{When: []ArgCond{eq32(0, uint32(AFUnix), "family == AF_UNIX")},
			Verdict: allow("dangerously_allow_all_unix_sockets")})
	} else {
		cs = unixTypeCases(allow("a connected pair reaches no host socket; runtimes use them for children"))
	}
	cs = append(cs, familyCases(otherFamilies(r.Families))...)
	return SyscallRule{Name: "socketpair", Cases: cs, Default: r.OtherFamilies}
}

// addressRules covers the calls that name a peer or local address.
func addressRules(mode NetMode, unix UnixSockets) []SyscallRule {
	var out []SyscallRule
	sendtoAddr := []ArgCond{{Arg: 4, Op: ArgNonZero64, What: "dest_addr != NULL"}}
	switch {
	case unix == UnixBroker:
		// Only connect reaches another unix socket: the only unix sockets
		// are stream and seqpacket ones, which ignore the address of
		// sendto and sendmsg, and bind acts in the sandbox's own view
		// under its own rules (its abstract names are its own network
		// namespace's, but for a fully open network, where bind goes to
		// the broker too). The filter cannot read the address (it is in
		// memory), nor which family the descriptor has, so every connect
		// goes to the broker, which acts on its own copies.
		out = append(out, SyscallRule{Name: "connect", Default: SyscallVerdict{Action: SysNotify,
			Why: "the broker connects allowlisted unix sockets, and any other family as the " +
				"network mode allows"}})
		if mode == NetFull {
			// Sharing the host's network namespace, an abstract unix name
			// the sandbox binds is the host's.
			out = append(out, SyscallRule{Name: "bind", Default: SyscallVerdict{Action: SysNotify,
				Why: "with the host's network namespace the broker refuses unix names and binds " +
					"IP and netlink sockets as the sandbox could"}})
		}
	case mode == NetOff && unix == UnixPairsOnly:
		why := "network is off and the only sockets are connected unix pairs"
		for _, n := range netOffRefused {
			out = append(out, SyscallRule{Name: n, Default: refuse(EPERM, why)})
		}
		out = append(out, SyscallRule{Name: "sendto",
			Cases:   []ArgCase{{When: sendtoAddr, Verdict: refuse(EPERM, why)}},
			Default: allow("send on a connected socket")})
	}
	return out
}
