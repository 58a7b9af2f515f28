package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/permc/permc/ir"
)

// Results as retName prints them.
const (
	allowed = "ALLOW"
	eperm   = "ERRNO(EPERM)"
	enoprot = "ERRNO(EPROTONOSUPPORT)"
	enosys  = "ERRNO(ENOSYS)"
	killed  = "KILL_PROCESS"
)

var modes = []ir.NetMode{ir.NetOff, ir.NetProxied, ir.NetFull}

// policyFor builds the smallest policy with the given network mode.
func policyFor(mode ir.NetMode, allowAllUnix bool) *ir.Policy {
	p := &ir.Policy{Name: "test"}
	p.Net = ir.DefaultNetPolicy()
	p.Net.Enabled = mode != ir.NetOff
	p.Net.HasDomains = mode == ir.NetProxied
	p.Net.DangerouslyAllowAllUnixSockets = allowAllUnix
	return p
}

func mustCompile(t testing.TB, p *ir.Policy, arch Arch) *Program {
	t.Helper()
	prog, err := Compile(p, arch)
	if err != nil {
		t.Fatalf("Compile(%s): %v", arch, err)
	}
	return prog
}

// seccompData encodes struct seccomp_data for x/net/bpf's VM. The kernel
// reads each 32-bit word in native (little-endian) order; the VM's
// LoadAbsolute reads big-endian. So each word sits at its little-endian
// offset (nr 0, arch 4, args[i] low 16+8i, high 20+8i) written big-endian,
// and the VM sees the value the kernel would.
func seccompData(arch, nr uint32, args [6]uint64) []byte {
	b := make([]byte, 64)
	be := binary.BigEndian
	be.PutUint32(b[0:], nr)
	be.PutUint32(b[4:], arch)
	for i, a := range args {
		be.PutUint32(b[16+8*i:], uint32(a))
		be.PutUint32(b[20+8*i:], uint32(a>>32))
	}
	return b
}

// vm runs a program from its artifact bytes, so that the encoding is
// tested along with the code.
type vm struct {
	t  testing.TB
	vm *bpf.VM
}

func newVM(t testing.TB, prog *Program) *vm {
	t.Helper()
	raw, err := Decode(prog.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ins := make([]bpf.Instruction, len(raw))
	for i, r := range raw {
		ins[i] = r.Disassemble()
	}
	v, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("bpf.NewVM: %v", err)
	}
	return &vm{t: t, vm: v}
}

func (v *vm) run(arch, nr uint32, args [6]uint64) string {
	v.t.Helper()
	n, err := v.vm.Run(seccompData(arch, nr, args))
	if err != nil {
		v.t.Fatalf("vm.Run: %v", err)
	}
	return retName(uint32(n))
}

// extraNumbers are syscalls no rule names, for checking that they pass.
var extraNumbers = map[Arch]map[string]uint32{
	X86_64:  {"read": 0, "getpid": 39, "getppid": 110, "openat": 257, "faccessat2": 439},
	AArch64: {"read": 63, "getpid": 172, "getppid": 173, "openat": 56, "faccessat2": 439},
}

func nrOf(t testing.TB, arch Arch, name string) uint32 {
	t.Helper()
	if n, ok := arch.ABI().Numbers[name]; ok {
		return n
	}
	if n, ok := extraNumbers[arch][name]; ok {
		return n
	}
	t.Fatalf("no number for %s on %s", name, arch)
	return 0
}

// want gives the result per network mode: off, proxied, full.
type want [3]string

func all(s string) want { return want{s, s, s} }

const hi = 0xffffffff00000000

// callCase is one syscall with arguments and the expected result.
type callCase struct {
	name string
	sys  string
	args [6]uint64
	want want
}

var callCases = []callCase{
	{"getppid", "getppid", [6]uint64{}, all(allowed)},
	{"read with high bits", "read", [6]uint64{hi, hi, hi, hi, hi, hi}, all(allowed)},
	{"faccessat2 passes (libc must not see EPERM)", "faccessat2", [6]uint64{}, all(allowed)},
	{"clone3", "clone3", [6]uint64{}, all(enosys)},

	{"clone fork", "clone", [6]uint64{0x11}, all(allowed)},
	{"clone thread", "clone", [6]uint64{0x3d0f00}, all(allowed)},
	{"clone fork high bits", "clone", [6]uint64{hi | 0x11}, all(allowed)},
	{"clone NEWUSER in high bits only", "clone", [6]uint64{0x10000000<<32 | 0x11}, all(allowed)},
	{"clone NEWNS", "clone", [6]uint64{0x00020000 | 0x11}, all(eperm)},
	{"clone NEWUTS", "clone", [6]uint64{0x04000000 | 0x11}, all(eperm)},
	{"clone NEWIPC", "clone", [6]uint64{0x08000000 | 0x11}, all(eperm)},
	{"clone NEWUSER", "clone", [6]uint64{0x10000000 | 0x11}, all(eperm)},
	{"clone NEWPID", "clone", [6]uint64{0x20000000 | 0x11}, all(eperm)},
	{"clone NEWNET", "clone", [6]uint64{0x40000000 | 0x11}, all(eperm)},
	{"clone NEWCGROUP", "clone", [6]uint64{0x02000000 | 0x11}, all(eperm)},
	{"clone NEWTIME", "clone", [6]uint64{0x80 | 0x11}, all(eperm)},
	{"clone NEWUSER with high bits", "clone", [6]uint64{hi | 0x10000000}, all(eperm)},

	{"ioctl TIOCSTI", "ioctl", [6]uint64{0, 0x5412}, all(eperm)},
	{"ioctl TIOCSTI high bits", "ioctl", [6]uint64{0, hi | 0x5412}, all(eperm)},
	{"ioctl TIOCSTI bit 32", "ioctl", [6]uint64{0, 1<<32 | 0x5412}, all(eperm)},
	{"ioctl TIOCLINUX", "ioctl", [6]uint64{0, 0x541c}, all(eperm)},
	{"ioctl TIOCLINUX high bits", "ioctl", [6]uint64{3, hi | 0x541c}, all(eperm)},
	{"ioctl TCGETS", "ioctl", [6]uint64{0, 0x5401}, all(allowed)},
	{"ioctl TIOCSTI as fd, not request", "ioctl", [6]uint64{0x5412, 0x5401}, all(allowed)},
	{"ioctl TIOCSTI as third argument", "ioctl", [6]uint64{0, 0x5413, 0x5412}, all(allowed)},

	{"socket AF_UNIX", "socket", [6]uint64{1, 1}, all(eperm)},
	{"socket AF_UNIX high bits", "socket", [6]uint64{hi | 1, 1}, all(eperm)},
	{"socket 0x10001 is not AF_UNIX", "socket", [6]uint64{0x10001, 1}, want{eperm, eperm, allowed}},
	{"socket AF_VSOCK", "socket", [6]uint64{40, 1}, all(eperm)},
	{"socket AF_VSOCK bit 32", "socket", [6]uint64{1<<32 | 40, 1}, all(eperm)},
	{"socket AF_INET", "socket", [6]uint64{2, 1}, want{eperm, allowed, allowed}},
	{"socket AF_INET high bits", "socket", [6]uint64{hi | 2, 1}, want{eperm, allowed, allowed}},
	{"socket AF_INET6", "socket", [6]uint64{10, 2}, want{eperm, allowed, allowed}},
	{"socket AF_INET TCP", "socket", [6]uint64{2, 1, 6}, want{eperm, allowed, allowed}},
	{"socket AF_INET MPTCP", "socket", [6]uint64{2, 1, 262}, want{eperm, enoprot, enoprot}},
	{"socket AF_INET MPTCP nonblocking", "socket", [6]uint64{2, 1 | 0x800 | 0x80000, 262}, want{eperm, enoprot, enoprot}},
	{"socket AF_INET MPTCP high bits", "socket", [6]uint64{hi | 2, hi | 1, hi | 262}, want{eperm, enoprot, enoprot}},
	{"socket AF_INET6 MPTCP", "socket", [6]uint64{10, 1, 262}, want{eperm, enoprot, enoprot}},
	{"socket AF_INET protocol 262 in high bits only", "socket", [6]uint64{2, 1, 262 << 32}, want{eperm, allowed, allowed}},
	{"socket AF_INET protocol 263", "socket", [6]uint64{2, 1, 263}, want{eperm, allowed, allowed}},
	{"socket AF_NETLINK protocol 262", "socket", [6]uint64{16, 3, 262}, want{eperm, eperm, allowed}},
	{"socketpair AF_INET MPTCP", "socketpair", [6]uint64{2, 1, 262}, want{eperm, enoprot, enoprot}},
	{"socket AF_NETLINK route", "socket", [6]uint64{16, 3, 0}, want{eperm, allowed, allowed}},
	{"socket AF_NETLINK route high bits", "socket", [6]uint64{16, 3, hi}, want{eperm, allowed, allowed}},
	{"socket AF_NETLINK audit", "socket", [6]uint64{16, 3, 9}, want{eperm, eperm, allowed}},
	{"socket AF_PACKET", "socket", [6]uint64{17, 3}, want{eperm, eperm, allowed}},
	{"socket AF_UNSPEC", "socket", [6]uint64{0, 1}, want{eperm, eperm, allowed}},
	{"socket family 0xffffffff", "socket", [6]uint64{0xffffffff, 1}, want{eperm, eperm, allowed}},

	{"socketpair unix stream", "socketpair", [6]uint64{1, 1}, all(allowed)},
	{"socketpair unix stream flags", "socketpair", [6]uint64{1, 1 | 0x800 | 0x80000}, all(allowed)},
	{"socketpair unix stream high bits", "socketpair", [6]uint64{hi | 1, hi | 1}, all(allowed)},
	{"socketpair unix seqpacket", "socketpair", [6]uint64{1, 5 | 0x80000}, all(allowed)},
	{"socketpair unix dgram", "socketpair", [6]uint64{1, 2}, all(eperm)},
	{"socketpair unix dgram flags", "socketpair", [6]uint64{1, 2 | 0x800 | 0x80000}, all(eperm)},
	{"socketpair unix dgram high bits", "socketpair", [6]uint64{hi | 1, hi | 2}, all(eperm)},
	{"socketpair unix raw (a datagram socket)", "socketpair", [6]uint64{1, 3}, all(eperm)},
	{"socketpair unix stream with a stray flag", "socketpair", [6]uint64{1, 1 | 0x100}, all(eperm)},
	{"socketpair AF_INET", "socketpair", [6]uint64{2, 1}, want{eperm, allowed, allowed}},
	{"socketpair AF_VSOCK", "socketpair", [6]uint64{40, 1}, all(eperm)},

	{"connect", "connect", [6]uint64{3, 0x1000, 16}, want{eperm, allowed, allowed}},
	{"bind", "bind", [6]uint64{3, 0x1000, 16}, want{eperm, allowed, allowed}},
	{"listen", "listen", [6]uint64{3, 1}, want{eperm, allowed, allowed}},
	{"accept", "accept", [6]uint64{3}, want{eperm, allowed, allowed}},
	{"accept4", "accept4", [6]uint64{3}, want{eperm, allowed, allowed}},
	{"sendto without address", "sendto", [6]uint64{3, 0x1000, 1, 0, 0, 0}, all(allowed)},
	{"sendto with address", "sendto", [6]uint64{3, 0x1000, 1, 0, 0x7ffc1000, 16}, want{eperm, allowed, allowed}},
	{"sendto with address above 4 GiB", "sendto", [6]uint64{3, 0x1000, 1, 0, 0x7ffc00000000, 16}, want{eperm, allowed, allowed}},
	{"sendmsg", "sendmsg", [6]uint64{3, 0x1000}, all(allowed)},
}

func TestCalls(t *testing.T) {
	for _, arch := range Arches() {
		for mi, mode := range modes {
			prog := mustCompile(t, policyFor(mode, false), arch)
			v := newVM(t, prog)
			audit := arch.ABI().AuditArch
			for _, c := range callCases {
				got := v.run(audit, nrOf(t, arch, c.sys), c.args)
				if got != c.want[mi] {
					t.Errorf("%s/%s: %s %s%#x = %s, want %s", arch, mode, c.name, c.sys, c.args, got, c.want[mi])
				}
			}
		}
	}
}

// TestAlwaysRefused runs every syscall the issue lists, in every mode and
// on both architectures, with plain and high-bit arguments.
func TestAlwaysRefused(t *testing.T) {
	refused := []string{
		"io_uring_setup", "io_uring_enter", "io_uring_register",
		"ptrace", "process_vm_readv", "process_vm_writev",
		"mount", "umount2", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
		"mount_setattr", "pivot_root", "open_tree_attr",
		"unshare", "setns",
		"kexec_load", "kexec_file_load", "bpf", "perf_event_open", "keyctl", "add_key",
		"request_key", "userfaultfd", "open_by_handle_at",
	}
	argSets := [][6]uint64{{}, {hi, hi, hi, hi, hi, hi}, {1, 2, 3, 4, 5, 6}}
	for _, arch := range Arches() {
		for _, unixAll := range []bool{false, true} {
			for _, mode := range modes {
				v := newVM(t, mustCompile(t, policyFor(mode, unixAll), arch))
				for _, name := range refused {
					for _, args := range argSets {
						if got := v.run(arch.ABI().AuditArch, nrOf(t, arch, name), args); got != eperm {
							t.Errorf("%s/%s/unixAll=%v: %s%#x = %s, want %s", arch, mode, unixAll, name, args, got, eperm)
						}
					}
				}
				if got := v.run(arch.ABI().AuditArch, nrOf(t, arch, "clone3"), [6]uint64{}); got != enosys {
					t.Errorf("%s/%s: clone3 = %s, want %s", arch, mode, got, enosys)
				}
			}
		}
	}
}

// TestAllowAllUnix checks dangerously_allow_all_unix_sockets in each mode.
func TestAllowAllUnix(t *testing.T) {
	cases := []callCase{
		{"socket AF_UNIX", "socket", [6]uint64{1, 2}, all(allowed)},
		{"socketpair unix dgram", "socketpair", [6]uint64{1, 2}, all(allowed)},
		{"connect", "connect", [6]uint64{3, 0x1000, 16}, all(allowed)},
		{"sendto with address", "sendto", [6]uint64{3, 0x1000, 1, 0, 0x1000, 16}, all(allowed)},
		{"socket AF_INET", "socket", [6]uint64{2, 1}, want{eperm, allowed, allowed}},
		{"socket AF_VSOCK", "socket", [6]uint64{40, 1}, all(eperm)},
		{"ioctl TIOCSTI", "ioctl", [6]uint64{0, 0x5412}, all(eperm)},
	}
	for _, arch := range Arches() {
		for mi, mode := range modes {
			v := newVM(t, mustCompile(t, policyFor(mode, true), arch))
			for _, c := range cases {
				if got := v.run(arch.ABI().AuditArch, nrOf(t, arch, c.sys), c.args); got != c.want[mi] {
					t.Errorf("%s/%s: %s = %s, want %s", arch, mode, c.name, got, c.want[mi])
				}
			}
		}
	}
}

// TestArchAndNumbers covers the checks before the rules: foreign and
// compat architectures, x32, and the highest known number.
func TestArchAndNumbers(t *testing.T) {
	type numCase struct {
		name string
		arch uint32
		nr   uint32
		want string
	}
	for _, arch := range Arches() {
		abi := arch.ABI()
		max := abi.MaxSyscall
		cases := []numCase{
			{"highest known", abi.AuditArch, max, allowed},
			{"highest known + 1", abi.AuditArch, max + 1, enosys},
			{"1000", abi.AuditArch, 1000, enosys},
			{"0xffff", abi.AuditArch, 0xffff, enosys},
			{"-1", abi.AuditArch, 0xffffffff, enosys},
			{"0", abi.AuditArch, 0, allowed},
			{"x32 getpid", abi.AuditArch, ir.X32SyscallBit | nrOf(t, arch, "getpid"), enosys},
			{"x32 socket", abi.AuditArch, ir.X32SyscallBit | 41, enosys},
			{"x32 at 512", abi.AuditArch, ir.X32SyscallBit | 512, enosys},
			{"no architecture", 0, 0, killed},
			{"big-endian aarch64", 0x800000b7, 0, killed},
		}
		for _, c := range abi.Compat {
			cases = append(cases,
				numCase{c.Name + " getpid", c.AuditArch, 20, enosys},
				numCase{c.Name + " socketcall", c.AuditArch, 102, enosys},
				numCase{c.Name + " socket", c.AuditArch, 359, enosys},
				numCase{c.Name + " io_uring_setup", c.AuditArch, 425, enosys})
		}
		for _, other := range Arches() {
			if other != arch {
				cases = append(cases, numCase{"foreign " + string(other), other.ABI().AuditArch, 0, killed})
			}
		}
		for _, mode := range modes {
			v := newVM(t, mustCompile(t, policyFor(mode, false), arch))
			for _, c := range cases {
				if got := v.run(c.arch, c.nr, [6]uint64{2, 1}); got != c.want {
					t.Errorf("%s/%s: %s (arch %#x nr %#x) = %s, want %s", arch, mode, c.name, c.arch, c.nr, got, c.want)
				}
			}
		}
	}
	// On aarch64 a number with the x32 bit is simply above the table.
	// On x86_64 the x32 check comes first; both give ENOSYS.
}

// interestingArgs returns argument values that matter to the rules, with
// and without high bits, plus random ones.
func interestingArgs(rules *ir.SyscallRules, rng *rand.Rand) []uint64 {
	set := map[uint64]bool{0: true, 1: true, 2: true, 3: true, 5: true, 10: true, 16: true, 17: true, 40: true, 262: true,
		0x5412: true, 0x541c: true, 0xffffffff: true, 0x7ffc1000: true, 1 << 32: true, hi: true}
	for _, r := range rules.Rules {
		for _, c := range r.Cases {
			for _, w := range c.When {
				for _, v := range []uint32{w.Value, w.Mask, w.Value | 0x800, w.Value | 0x80000, w.Value ^ 1} {
					set[uint64(v)] = true
					set[hi|uint64(v)] = true
					set[uint64(rng.Uint32())<<32|uint64(v)] = true
				}
			}
		}
	}
	var out []uint64
	for v := range set {
		out = append(out, v)
	}
	// Map order is random; sort for reproducible failures.
	sortU64(out)
	return out
}

func sortU64(s []uint64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestAgreesWithReference runs every number up to past the table, with
// argument vectors built from the rules' own constants, and requires the
// BPF to agree with ir's reference decision everywhere.
func TestAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	variants := []struct {
		mode    ir.NetMode
		unixAll bool
	}{{ir.NetOff, false}, {ir.NetProxied, false}, {ir.NetFull, false},
		{ir.NetOff, true}, {ir.NetProxied, true}, {ir.NetFull, true}}
	for _, arch := range Arches() {
		abi := arch.ABI()
		for _, vr := range variants {
			rules := ir.SyscallPolicy(vr.mode, false, vr.unixAll)
			v := newVM(t, mustCompile(t, policyFor(vr.mode, vr.unixAll), arch))
			vals := interestingArgs(&rules, rng)
			check := func(auditArch, nr uint32, args [6]uint64) {
				t.Helper()
				ref := retName(retValue(rules.Decide(abi, auditArch, nr, args)))
				if got := v.run(auditArch, nr, args); got != ref {
					t.Fatalf("%s/%s/unixAll=%v: arch %#x nr %d args %#x: bpf %s, reference %s",
						arch, vr.mode, vr.unixAll, auditArch, nr, args, got, ref)
				}
			}
			for nr := uint32(0); nr <= abi.MaxSyscall+16; nr++ {
				check(abi.AuditArch, nr, [6]uint64{})
				check(abi.AuditArch, nr, [6]uint64{hi | 1, hi | 2, hi, 0, hi, 0})
			}
			for _, r := range rules.Rules {
				nr := abi.Numbers[r.Name]
				for i := 0; i < 3000; i++ {
					var args [6]uint64
					for j := range args {
						args[j] = vals[rng.Intn(len(vals))]
					}
					check(abi.AuditArch, nr, args)
				}
			}
			for _, c := range abi.Compat {
				check(c.AuditArch, 102, [6]uint64{1, 0x1000})
			}
		}
	}
}

// TestReferenceTable pins the table itself: each rule names a syscall
// both architectures number (but the few only x86_64 has, such as chmod), and the per-mode lists read as documented.
func TestReferenceTable(t *testing.T) {
	for _, mode := range modes {
		for _, unixAll := range []bool{false, true} {
			r := ir.SyscallPolicy(mode, false, unixAll)
			for _, rule := range r.Rules {
				for _, abi := range ir.SyscallABIs() {
					if _, ok := abi.Numbers[rule.Name]; !ok && !(ir.OnlySomeArches[rule.Name] && abi.Name == "aarch64") {
						t.Errorf("%s: rule %s has no number on %s", mode, rule.Name, abi.Name)
					}
				}
			}
			if r.Errno != ir.EPERM || r.UnknownErrno != ir.ENOSYS {
				t.Errorf("%s: errnos %s/%s, want EPERM/ENOSYS", mode, r.Errno, r.UnknownErrno)
			}
		}
	}
	for _, abi := range ir.SyscallABIs() {
		seen := map[uint32]string{}
		for name, nr := range abi.Numbers {
			if prev, ok := seen[nr]; ok {
				t.Errorf("%s: %s and %s share number %d", abi.Name, prev, name, nr)
			}
			seen[nr] = name
			if nr > abi.MaxSyscall {
				t.Errorf("%s: %s (%d) above MaxSyscall %d", abi.Name, name, nr, abi.MaxSyscall)
			}
		}
	}
	fams := func(mode ir.NetMode) string {
		r := ir.SyscallPolicy(mode, false, false)
		named, others := r.AllowedFamilies()
		return fmt.Sprint(named, others)
	}
	for mode, wantFams := range map[ir.NetMode]string{
		ir.NetOff:     "[] false",
		ir.NetProxied: "[AF_INET(not protocol 262) AF_INET6(not protocol 262) AF_NETLINK(protocol 0)] false",
		ir.NetFull:    "[AF_INET(not protocol 262) AF_INET6(not protocol 262)] true",
	} {
		if got := fams(mode); got != wantFams {
			t.Errorf("%s: allowed families %s, want %s", mode, got, wantFams)
		}
	}
}

func TestErrors(t *testing.T) {
	p := policyFor(ir.NetProxied, false)
	p.Net.UnixSockets = []ir.UnixSocketRule{{Path: "/run/user/1000/bus", Allow: true}}
	if prog := mustCompile(t, p, X86_64); prog.Summary.UnixSockets != ir.UnixBroker {
		t.Errorf("unix_sockets allowlist: unix sockets %s, want broker", prog.Summary.UnixSockets)
	}
	// A denied entry cancels the allow: nothing needs the broker.
	p.Net.UnixSockets = append(p.Net.UnixSockets, ir.UnixSocketRule{Path: "/run/user/1000/bus"})
	if prog := mustCompile(t, p, X86_64); prog.Summary.UnixSockets != ir.UnixPairsOnly {
		t.Errorf("allow and deny of one path: unix sockets %s, want pairs-only", prog.Summary.UnixSockets)
	}
	// dangerously_allow_all_unix_sockets wins over the broker.
	p.Net.UnixSockets = p.Net.UnixSockets[:1]
	p.Net.DangerouslyAllowAllUnixSockets = true
	if prog := mustCompile(t, p, X86_64); prog.Summary.UnixSockets != ir.UnixAll {
		t.Errorf("allowlist with allow-all: unix sockets %s, want all", prog.Summary.UnixSockets)
	}

	if _, err := Compile(&ir.Policy{Unrestricted: true}, X86_64); !errors.Is(err, ErrUnrestricted) {
		t.Errorf("unrestricted: %v, want ErrUnrestricted", err)
	}
	if _, err := Compile(policyFor(ir.NetOff, false), "riscv64"); err == nil {
		t.Error("unknown architecture compiled")
	}
}

func TestDecode(t *testing.T) {
	prog := mustCompile(t, policyFor(ir.NetOff, false), X86_64)
	raw, err := Decode(prog.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(raw) != fmt.Sprint(prog.Raw) {
		t.Error("Decode(Bytes()) differs from Raw")
	}
	// struct sock_filter, little-endian: ld [4] is code 0x20, k 4.
	if b := prog.Bytes()[:8]; fmt.Sprintf("% x", b) != "20 00 00 00 04 00 00 00" {
		t.Errorf("first instruction encodes as % x", b)
	}
	for _, bad := range [][]byte{nil, make([]byte, 7), make([]byte, 8*(maxInstructions+1))} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%d bytes) succeeded", len(bad))
		}
	}
}

// longestPath is the most instructions any run of the program executes;
// jumps only go forward, so it is a longest path in a DAG.
func longestPath(raw []bpf.RawInstruction) int {
	n := len(raw)
	dist := make([]int, n+1)
	for pc := n - 1; pc >= 0; pc-- {
		switch ins := raw[pc].Disassemble().(type) {
		case bpf.RetConstant, bpf.RetA:
			dist[pc] = 1
		case bpf.Jump:
			dist[pc] = 1 + dist[pc+1+int(ins.Skip)]
		case bpf.JumpIf:
			dist[pc] = 1 + max(dist[pc+1+int(ins.SkipTrue)], dist[pc+1+int(ins.SkipFalse)])
		default:
			dist[pc] = 1 + dist[pc+1]
		}
	}
	return dist[0]
}

// TestShape holds the program to its size and to a logarithmic dispatch.
func TestShape(t *testing.T) {
	for _, arch := range Arches() {
		for _, mode := range modes {
			prog := mustCompile(t, policyFor(mode, false), arch)
			n := len(prog.Raw)
			if n > 400 || n != prog.Summary.Instructions {
				t.Errorf("%s/%s: %d instructions (summary %d), want well under 4096", arch, mode, n, prog.Summary.Instructions)
			}
			if lp := longestPath(prog.Raw); lp > 40 {
				t.Errorf("%s/%s: longest path %d instructions", arch, mode, lp)
			}
			// A syscall without argument checks costs the architecture
			// and number checks (5), about log2(40) search levels and a
			// leaf of up to 3 compares, and a return: a linear chain
			// over the 40 numbers would need up to 45 steps.
			abi := arch.ABI()
			rules := ir.SyscallPolicy(mode, false, false)
			worst := 0
			for nr := uint32(0); nr <= abi.MaxSyscall; nr++ {
				if r := rules.Rule(abi.SyscallName(nr)); r != nil && len(r.Cases) > 0 {
					continue
				}
				worst = max(worst, steps(t, prog.Raw, seccompData(abi.AuditArch, nr, [6]uint64{})))
			}
			if worst > 16 {
				t.Errorf("%s/%s: a plain syscall takes up to %d steps; dispatch is not a binary search", arch, mode, worst)
			}
			t.Logf("%s/%s: %d instructions, longest path %d, plain syscall at most %d steps",
				arch, mode, n, longestPath(prog.Raw), worst)
		}
	}
}

// steps runs a program and counts the instructions it executes. It
// interprets only what the compiler emits, independently of x/net/bpf.
func steps(t *testing.T, raw []bpf.RawInstruction, data []byte) int {
	var a uint32
	for pc, n := 0, 1; ; n++ {
		switch ins := raw[pc].Disassemble().(type) {
		case bpf.LoadAbsolute:
			a = binary.BigEndian.Uint32(data[ins.Off:])
			pc++
		case bpf.ALUOpConstant:
			a &= ins.Val
			pc++
		case bpf.Jump:
			pc += 1 + int(ins.Skip)
		case bpf.JumpIf:
			var ok bool
			switch ins.Cond {
			case bpf.JumpEqual:
				ok = a == ins.Val
			case bpf.JumpNotEqual:
				ok = a != ins.Val
			case bpf.JumpGreaterThan:
				ok = a > ins.Val
			case bpf.JumpGreaterOrEqual:
				ok = a >= ins.Val
			case bpf.JumpLessThan:
				ok = a < ins.Val
			case bpf.JumpLessOrEqual:
				ok = a <= ins.Val
			case bpf.JumpBitsSet:
				ok = a&ins.Val != 0
			case bpf.JumpBitsNotSet:
				ok = a&ins.Val == 0
			default:
				t.Fatalf("pc %d: unexpected %v", pc, ins)
			}
			if ok {
				pc += 1 + int(ins.SkipTrue)
			} else {
				pc += 1 + int(ins.SkipFalse)
			}
		case bpf.RetConstant:
			return n
		default:
			t.Fatalf("pc %d: unexpected %v", pc, ins)
		}
	}
}
