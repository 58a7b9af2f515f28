package seccomp

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/net/bpf"

	"github.com/permc/permc/ir"
)

// Return values of a seccomp filter (SECCOMP_RET_*).
const (
	retKillProcess uint32 = 0x80000000
	retErrno       uint32 = 0x00050000 // | errno in the low 16 bits
	retUserNotif   uint32 = 0x7fc00000
	retAllow       uint32 = 0x7fff0000
)

// Offsets in struct seccomp_data. Both targets are little-endian, so the
// low 32 bits of argument i are the word at argLo(i).
const (
	offNr   = 0
	offArch = 4
)

func argLo(i uint8) uint32 { return 16 + 8*uint32(i) }
func argHi(i uint8) uint32 { return 20 + 8*uint32(i) }

// ErrUnrestricted is returned for an unrestricted policy
// (:danger-full-access), which runs without any sandbox and so without a
// filter.
var ErrUnrestricted = errors.New("seccomp: the policy is unrestricted; no filter applies")

// Compile builds the filter of policy p for one architecture.
func Compile(p *ir.Policy, arch Arch) (*Program, error) {
	return compile(p, arch, false)
}

// CompileWithoutNamespaces builds the filter of the Landlock-only mode:
// Compile's, with [ir.SyscallRules.WithoutNamespaces] added.
func CompileWithoutNamespaces(p *ir.Policy, arch Arch) (*Program, error) {
	return compile(p, arch, true)
}

func compile(p *ir.Policy, arch Arch, noNamespaces bool) (*Program, error) {
	abi := arch.ABI()
	if abi == nil {
		return nil, fmt.Errorf("seccomp: unknown architecture %q; want one of %v", arch, Arches())
	}
	if p.Unrestricted {
		return nil, ErrUnrestricted
	}
	rules := ir.SyscallPolicy(p.Net.Mode(), len(p.Net.AllowedUnixSockets()) > 0,
		p.Net.DangerouslyAllowAllUnixSockets)
	if noNamespaces {
		rules.WithoutNamespaces(abi)
	}
	return compileRules(&rules, arch, abi, newProvenance(p))
}

// provenance says where the blocks of a program come from.
type provenance struct {
	network string // the setting that chose the network mode
	unix    string // the setting that chose the unix-socket treatment
}

// builtin is the origin of the blocks every filter has.
const builtin = "builtin: permc's linux baseline"

func newProvenance(p *ir.Policy) provenance {
	pick := func(keys ...string) string {
		for _, k := range keys {
			for _, cand := range []string{k, "network." + k} {
				if o, ok := p.Net.Origins[cand]; ok {
					return cand + " at " + o.String()
				}
			}
		}
		return "defaults of profile " + p.Name + " at " + p.Origin.String()
	}
	return provenance{
		network: pick("enabled", "domains"),
		unix:    pick("dangerously_allow_all_unix_sockets", "unix_sockets"),
	}
}

// networkRules are the syscalls whose rules depend on the network settings.
var networkRules = map[string]bool{
	"socket": true, "socketpair": true, "connect": true, "bind": true, "listen": true,
	"accept": true, "accept4": true, "sendto": true, "sendmsg": true,
}

func (pv provenance) of(name string) string {
	switch {
	case (name == "socket" || name == "socketpair") && pv.unix != pv.network:
		return pv.network + "; " + pv.unix
	case networkRules[name]:
		return pv.network
	}
	return builtin
}

// gen writes one program.
type gen struct {
	a     assembler
	abi   *ir.SyscallABI
	rules *ir.SyscallRules
	prov  provenance
}

// compileRules emits the program: the architecture check, the number
// checks, a binary search over the numbers the rules name, then one block
// per rule.
func compileRules(rules *ir.SyscallRules, arch Arch, abi *ir.SyscallABI, prov provenance) (*Program, error) {
	g := &gen{abi: abi, rules: rules, prov: prov}
	ents, err := g.entries()
	if err != nil {
		return nil, err
	}
	allowL := g.a.newLabel()
	g.archCheck()
	g.numberCheck()
	g.a.block(fmt.Sprintf("dispatch: binary search over the %d syscalls the rules name; "+
		"any other number is allowed", len(ents)))
	g.search(ents, allowL)
	g.a.block("allowed: a syscall no rule names")
	g.a.bind(allowL)
	g.a.insn(bpf.RetConstant{Val: retAllow}, "")
	for _, e := range ents {
		g.rule(e)
	}

	lines, err := g.a.link()
	if err != nil {
		return nil, err
	}
	return newProgram(arch, abi, rules, lines)
}

// entry is a syscall with a rule, and where its block starts.
type entry struct {
	nr   uint32
	rule *ir.SyscallRule
	l    label
}

func (g *gen) entries() ([]entry, error) {
	var ents []entry
	for i := range g.rules.Rules {
		r := &g.rules.Rules[i]
		nr, ok := g.abi.Numbers[r.Name]
		if !ok && ir.OnlySomeArches[r.Name] {
			continue // aarch64 has no chmod: fchmodat serves it there
		}
		if !ok {
			return nil, fmt.Errorf("seccomp: bug: %s has no number on %s", r.Name, g.abi.Name)
		}
		ents = append(ents, entry{nr: nr, rule: r, l: g.a.newLabel()})
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].nr < ents[j].nr })
	return ents, nil
}

// archCheck lets only the native architecture reach the rules: the compat
// ABI gets the rules' Compat verdict, anything else Foreign.
func (g *gen) archCheck() {
	native := g.a.newLabel()
	g.a.block(fmt.Sprintf("architecture: only %s calls reach the rules; %s; other architectures: %s (%s)",
		g.abi.Name, g.compatText(), verdictName(g.rules.Foreign), g.rules.Foreign.Why))
	g.a.insn(bpf.LoadAbsolute{Off: offArch, Size: 4}, "A = arch")
	g.a.jumpIf(bpf.JumpEqual, g.abi.AuditArch, native, next, g.abi.Name)
	compat := g.a.newLabel()
	for _, c := range g.abi.Compat {
		g.a.jumpIf(bpf.JumpEqual, c.AuditArch, compat, next, c.Name+" ("+c.Entry+")")
	}
	g.ret(g.rules.Foreign)
	if len(g.abi.Compat) > 0 {
		g.a.bind(compat)
		g.ret(g.rules.Compat)
	}
	g.a.bind(native)
}

func (g *gen) compatText() string {
	var parts []string
	for _, c := range g.abi.Compat {
		parts = append(parts, c.Name+": "+verdictName(g.rules.Compat))
	}
	return strings.Join(parts, ", ")
}

// numberCheck refuses x32 numbers and numbers newer than the table.
func (g *gen) numberCheck() {
	text := fmt.Sprintf("numbers: above %d (%s) -> %s", g.abi.MaxSyscall, g.abi.MaxSyscallName,
		verdictName(g.rules.Unknown))
	if g.abi.X32Bit != 0 {
		text += fmt.Sprintf("; x32 (bit %#x set) -> %s", g.abi.X32Bit, verdictName(g.rules.X32))
	}
	g.a.block(text)
	g.a.insn(bpf.LoadAbsolute{Off: offNr, Size: 4}, "A = nr")
	if g.abi.X32Bit != 0 {
		x32 := g.a.newLabel()
		known := g.a.newLabel()
		g.a.jumpIf(bpf.JumpBitsSet, g.abi.X32Bit, x32, next, "x32 ABI")
		g.a.jumpIf(bpf.JumpGreaterThan, g.abi.MaxSyscall, next, known, "newer than the table")
		g.ret(g.rules.Unknown)
		g.a.bind(x32)
		g.ret(g.rules.X32)
		g.a.bind(known)
		return
	}
	known := g.a.newLabel()
	g.a.jumpIf(bpf.JumpGreaterThan, g.abi.MaxSyscall, next, known, "newer than the table")
	g.ret(g.rules.Unknown)
	g.a.bind(known)
}

// leafSize is the most entries a search leaf compares one by one.
const leafSize = 3

// search emits a binary search over ents (sorted by number) that jumps to
// each entry's block and to miss for any other number. A holds nr.
func (g *gen) search(ents []entry, miss label) {
	if len(ents) <= leafSize {
		for i, e := range ents {
			f := next
			if i == len(ents)-1 {
				f = miss
			}
			g.a.jumpIf(bpf.JumpEqual, e.nr, e.l, f, e.rule.Name)
		}
		if len(ents) == 0 {
			g.a.jump(miss, "")
		}
		return
	}
	mid := len(ents) / 2
	right := g.a.newLabel()
	g.a.jumpIf(bpf.JumpGreaterOrEqual, ents[mid].nr, right, next,
		fmt.Sprintf("nr >= %d (%s)?", ents[mid].nr, ents[mid].rule.Name))
	g.search(ents[:mid], miss)
	g.a.bind(right)
	g.search(ents[mid:], miss)
}

// rule emits the block of one syscall.
func (g *gen) rule(e entry) {
	r := e.rule
	g.a.bind(e.l)
	if len(r.Cases) == 0 {
		g.a.block(fmt.Sprintf("%s (%d): %s [origin: %s]", r.Name, e.nr, verdictName(r.Default), g.prov.of(r.Name)))
		g.ret(r.Default)
		return
	}
	g.a.block(fmt.Sprintf("%s (%d): argument checks (int arguments by their low 32 bits) [origin: %s]",
		r.Name, e.nr, g.prov.of(r.Name)))
	st := aState{}
	for _, c := range r.Cases {
		fail := g.a.newLabel()
		var fails []aState
		for _, cond := range c.When {
			var f aState
			st, f = g.cond(cond, st, fail)
			fails = append(fails, f)
		}
		g.ret(c.Verdict)
		g.a.bind(fail)
		st = common(fails)
	}
	g.ret(r.Default)
}

// aState is what the accumulator is known to hold: the word at off, and-ed
// with mask.
type aState struct {
	known bool
	off   uint32
	mask  uint32
}

// common is the state at a label all of whose jumps came with states ss.
func common(ss []aState) aState {
	if len(ss) == 0 {
		return aState{}
	}
	for _, s := range ss[1:] {
		if s != ss[0] {
			return aState{}
		}
	}
	return ss[0]
}

// load makes A hold the word at off and-ed with mask.
func (g *gen) load(st aState, off, mask uint32, what string) aState {
	want := aState{known: true, off: off, mask: mask}
	if st == want {
		return st
	}
	if !(st.known && st.off == off && st.mask == 0xffffffff) {
		g.a.insn(bpf.LoadAbsolute{Off: off, Size: 4}, what)
	}
	if mask != 0xffffffff {
		g.a.insn(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask}, "mask")
	}
	return want
}

// cond emits one condition: fall through when it holds, jump to fail when
// not. It returns the state after it and the state at the jump to fail.
func (g *gen) cond(c ir.ArgCond, st aState, fail label) (after, atFail aState) {
	what := fmt.Sprintf("A = args[%d] low 32 bits", c.Arg)
	switch c.Op {
	case ir.ArgMaskedEq32:
		st = g.load(st, argLo(c.Arg), c.Mask, what)
		g.a.jumpIf(bpf.JumpEqual, c.Value, next, fail, c.String())
		return st, st
	case ir.ArgAnyBits32:
		st = g.load(st, argLo(c.Arg), 0xffffffff, what)
		g.a.jumpIf(bpf.JumpBitsSet, c.Mask, next, fail, c.String())
		return st, st
	}
	// ArgNonZero64: the low word, then the high word, must not both be 0.
	pass := g.a.newLabel()
	g.a.insn(bpf.LoadAbsolute{Off: argLo(c.Arg), Size: 4}, what)
	g.a.jumpIf(bpf.JumpEqual, 0, next, pass, c.String()+" (low word)")
	g.a.insn(bpf.LoadAbsolute{Off: argHi(c.Arg), Size: 4}, fmt.Sprintf("A = args[%d] high 32 bits", c.Arg))
	g.a.jumpIf(bpf.JumpEqual, 0, fail, pass, c.String()+" (high word)")
	g.a.bind(pass)
	return aState{}, aState{known: true, off: argHi(c.Arg), mask: 0xffffffff}
}

// ret returns the verdict.
func (g *gen) ret(v ir.SyscallVerdict) {
	comment := verdictName(v)
	if v.Why != "" {
		comment += ": " + v.Why
	}
	g.a.insn(bpf.RetConstant{Val: retValue(v)}, comment)
}

// retValue is the seccomp return value of a verdict.
func retValue(v ir.SyscallVerdict) uint32 {
	switch v.Action {
	case ir.SysAllow:
		return retAllow
	case ir.SysErrno:
		return retErrno | uint32(v.Errno)
	case ir.SysNotify:
		return retUserNotif
	}
	return retKillProcess
}

// verdictName is how the artifact names a verdict: allow, EPERM, ENOSYS,
// kill_process, notify.
func verdictName(v ir.SyscallVerdict) string {
	switch v.Action {
	case ir.SysAllow:
		return "allow"
	case ir.SysErrno:
		return v.Errno.String()
	case ir.SysNotify:
		return "notify"
	}
	return "kill_process"
}
