package verify

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"sort"
	"sync"

	"golang.org/x/net/bpf"

	"github.com/permc/permc/backend/seccomp"
	"github.com/permc/permc/driver"
	"github.com/permc/permc/ir"
)

// Seccomp return values (SECCOMP_RET_*), as the kernel reads them.
const (
	retKill   uint32 = 0x80000000
	retErrno  uint32 = 0x00050000
	retNotify uint32 = 0x7fc00000
	retAllow  uint32 = 0x7fff0000
)

// hiBits sets every high word of an argument, which a filter comparing
// only low words would miss.
const hiBits = 0xffffffff00000000

// checkSeccomp runs each seccomp-ARCH.bpf of the folder in x/net/bpf's VM
// and compares every result with ir's syscall table.
func checkSeccomp(p *ir.Policy, files map[string][]byte) []Check {
	var out []Check
	for _, a := range seccomp.Arches() {
		out = append(out, checkArch(p, a, files[a.FileName()]))
	}
	return out
}

func checkArch(p *ir.Policy, a seccomp.Arch, raw []byte) Check {
	name := "seccomp " + string(a)
	if raw == nil {
		return Check{Name: name, Status: Failed,
			Summary: fmt.Sprintf("the manifest says the folder was built for linux, but %s is missing", a.FileName())}
	}
	socks := len(p.Net.AllowedUnixSockets()) > 0
	rules := ir.SyscallPolicy(p.Net.Mode(), socks, p.Net.DangerouslyAllowAllUnixSockets)
	key := fmt.Sprintf("%s\x00%s\x00%v\x00%v\x00%s", a, p.Net.Mode(), socks,
		p.Net.DangerouslyAllowAllUnixSockets, driver.Hash(raw))
	if c, ok := seccompCache.Load(key); ok {
		return c.(Check)
	}
	c := runArch(name, a.ABI(), &rules, raw)
	seccompCache.Store(key, c)
	return c
}

// seccompCache holds results by program and table: a build holds few
// distinct filters (one per network mode), and the test suite many
// profiles with the same ones.
var seccompCache sync.Map

func runArch(name string, abi *ir.SyscallABI, rules *ir.SyscallRules, raw []byte) Check {
	ins, err := seccomp.Decode(raw)
	if err != nil {
		return Check{Name: name, Status: Failed, Summary: "cannot decode the program: " + err.Error()}
	}
	prog := make([]bpf.Instruction, len(ins))
	for i, r := range ins {
		prog[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		return Check{Name: name, Status: Failed, Summary: "the program does not load: " + err.Error()}
	}
	tl := newTally(name)
	tl.ref = "ir.SyscallPolicy"
	for _, c := range seccompCalls(abi, rules) {
		tl.compared++
		want := retValue(rules.Decide(abi, c.arch, c.nr, c.args))
		got, err := vm.Run(seccompData(c.arch, c.nr, c.args))
		if err != nil {
			tl.fail("arch %#x nr %d args %#x: the VM fails: %v", c.arch, c.nr, c.args, err)
			continue
		}
		if uint32(got) != want {
			tl.fail("arch %#x nr %d (%s) args %#x: bpf %s, ir's table %s", c.arch, c.nr,
				syscallName(abi, c.arch, c.nr), c.args, retName(uint32(got)), retName(want))
		}
	}
	return tl.check(fmt.Sprintf("%d calls (every number of ir's %s table, argument vectors, other ABIs) through %d instructions",
		tl.compared, abi.Name, len(prog)))
}

// call is one system call as the filter sees it.
type call struct {
	arch, nr uint32
	args     [6]uint64
}

// seccompCalls are the calls compared: every number up to past the
// table with plain and high-bit arguments; each argument-checked syscall
// with every value its conditions name (with and without high bits, and
// near misses) in each argument it checks, and a fixed-seed sample of
// combinations; x32 numbers, the compat ABIs and a foreign architecture.
func seccompCalls(abi *ir.SyscallABI, rules *ir.SyscallRules) []call {
	var out []call
	for nr := uint32(0); nr <= abi.MaxSyscall+16; nr++ {
		out = append(out, call{abi.AuditArch, nr, [6]uint64{}},
			call{abi.AuditArch, nr, [6]uint64{hiBits | 1, hiBits | 2, hiBits, 0, hiBits, 0}})
	}
	for _, nr := range []uint32{abi.MaxSyscall + 1, 0xffff, 0xffffffff} {
		out = append(out, call{abi.AuditArch, nr, [6]uint64{}})
	}
	if abi.X32Bit != 0 {
		for _, nr := range []uint32{0, 41, 512} {
			out = append(out, call{abi.AuditArch, abi.X32Bit | nr, [6]uint64{}})
		}
	}
	for _, c := range abi.Compat {
		for _, nr := range []uint32{0, 20, 102, 359, 425} {
			out = append(out, call{c.AuditArch, nr, [6]uint64{2, 1}})
		}
	}
	out = append(out, call{0, 0, [6]uint64{}}, call{abi.AuditArch ^ 0x80000000, 0, [6]uint64{}})
	rng := rand.New(rand.NewSource(1))
	for _, r := range rules.Rules {
		out = append(out, argCalls(abi, r, rng)...)
	}
	return out
}

// argCalls are the argument vectors of one rule.
func argCalls(abi *ir.SyscallABI, r ir.SyscallRule, rng *rand.Rand) []call {
	nr, ok := abi.Numbers[r.Name]
	if !ok {
		return nil
	}
	vals, idx := argValues(r)
	var out []call
	for _, i := range idx {
		for _, v := range vals {
			var args [6]uint64
			args[i] = v
			out = append(out, call{abi.AuditArch, nr, args})
		}
	}
	if len(idx) < 2 {
		return out
	}
	for n := 0; n < 400; n++ {
		var args [6]uint64
		for _, i := range idx {
			args[i] = vals[rng.Intn(len(vals))]
		}
		out = append(out, call{abi.AuditArch, nr, args})
	}
	return out
}

// argValues returns the values that matter to a rule's conditions and
// the arguments they test.
func argValues(r ir.SyscallRule) ([]uint64, []int) {
	set := map[uint64]bool{0: true, 1: true, 2: true, 5: true, 0xffffffff: true, 1 << 32: true, hiBits: true}
	used := map[int]bool{}
	for _, c := range r.Cases {
		for _, w := range c.When {
			used[int(w.Arg)] = true
			vs := []uint32{w.Value, w.Mask, w.Value | 0x800, w.Value | 0x80000, w.Value ^ 1, w.Value &^ w.Mask}
			if w.Op == ir.ArgAnyBits32 {
				for bit := uint32(1); bit != 0; bit <<= 1 {
					if w.Mask&bit != 0 {
						vs = append(vs, bit, bit|0x11)
					}
				}
			}
			for _, v := range vs {
				set[uint64(v)] = true
				set[hiBits|uint64(v)] = true
				set[1<<32|uint64(v)] = true
			}
		}
	}
	vals := make([]uint64, 0, len(set))
	for v := range set {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	idx := make([]int, 0, len(used))
	for i := range used {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return vals, idx
}

// seccompData encodes struct seccomp_data for the VM, whose loads are
// big-endian while the kernel's words are little-endian: each 32-bit word
// sits at its little-endian offset, written big-endian, so the VM reads
// the value the kernel would.
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

// retValue is the seccomp return value of a verdict of ir's table.
func retValue(v ir.SyscallVerdict) uint32 {
	switch v.Action {
	case ir.SysAllow:
		return retAllow
	case ir.SysErrno:
		return retErrno | uint32(v.Errno)
	case ir.SysNotify:
		return retNotify
	}
	return retKill
}

func retName(v uint32) string {
	switch {
	case v == retAllow:
		return "ALLOW"
	case v == retKill:
		return "KILL_PROCESS"
	case v == retNotify:
		return "USER_NOTIF"
	case v&0xffff0000 == retErrno:
		return fmt.Sprintf("ERRNO(%s)", ir.Errno(v&0xffff))
	}
	return fmt.Sprintf("%#x", v)
}

func syscallName(abi *ir.SyscallABI, arch, nr uint32) string {
	if arch != abi.AuditArch {
		return "other ABI"
	}
	if n := abi.SyscallName(nr); n != "" {
		return n
	}
	return "unnamed"
}
