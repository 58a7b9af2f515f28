package seccomp

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/net/bpf"

	"github.com/permc/permc/ir"
)

// Program is a compiled filter for one architecture.
type Program struct {
	Arch Arch
	// Raw is the program as the kernel takes it.
	Raw []bpf.RawInstruction
	// Summary is what linux.json says about the program.
	Summary Summary

	lines []line
	head  []string
}

// Summary describes a program for review and for linux.json.
type Summary struct {
	Arch      Arch   `json:"arch"`
	AuditArch string `json:"audit_arch"`
	// Errno is what refused known syscalls return.
	Errno ir.Errno `json:"errno"`
	// UnknownErrno is what numbers above MaxSyscall, clone3, x32 and the
	// compat ABI return.
	UnknownErrno ir.Errno `json:"unknown_errno"`
	// MaxSyscall is the highest number the table reviewed.
	MaxSyscall  uint32         `json:"max_known_syscall"`
	NetMode     ir.NetMode     `json:"net_mode"`
	UnixSockets ir.UnixSockets `json:"unix_sockets"`
	// ForeignArch, Compat and X32 are the verdicts for calls from other
	// ABIs: "kill_process", "ENOSYS".
	ForeignArch string            `json:"foreign_arch"`
	Compat      map[string]string `json:"compat,omitempty"`
	X32         string            `json:"x32,omitempty"`
	// AllowedFamilies are the socket families socket(2) may create;
	// OtherFamilies is the verdict for any family not listed there or in
	// RefusedFamilies.
	AllowedFamilies []string `json:"allowed_families"`
	RefusedFamilies []string `json:"refused_families"`
	OtherFamilies   string   `json:"other_families"`
	// Refused are the syscalls refused whatever their arguments.
	Refused []SyscallSummary `json:"refused"`
	// ArgChecked are the syscalls judged by their arguments.
	ArgChecked   []SyscallSummary `json:"arg_checked"`
	Instructions int              `json:"instructions"`
}

// SyscallSummary is one syscall's entry in a Summary.
type SyscallSummary struct {
	Name    string   `json:"name"`
	Nr      uint32   `json:"nr"`
	Verdict string   `json:"verdict"`          // the verdict when no check matches
	Why     string   `json:"why,omitempty"`    // the reason for that verdict
	Checks  []string `json:"checks,omitempty"` // "family == AF_UNIX: EPERM", first match wins
}

func newProgram(arch Arch, abi *ir.SyscallABI, rules *ir.SyscallRules, lines []line) (*Program, error) {
	prog := &Program{Arch: arch, lines: lines}
	for _, l := range lines {
		raw, err := l.insn.Assemble()
		if err != nil {
			return nil, fmt.Errorf("seccomp: bug: %v", err)
		}
		prog.Raw = append(prog.Raw, raw)
	}
	prog.Summary = summarize(arch, abi, rules, len(lines))
	prog.head = header(prog.Summary)
	return prog, nil
}

func summarize(arch Arch, abi *ir.SyscallABI, rules *ir.SyscallRules, n int) Summary {
	s := Summary{
		Arch:         arch,
		AuditArch:    fmt.Sprintf("%#x", abi.AuditArch),
		Errno:        rules.Errno,
		UnknownErrno: rules.UnknownErrno,
		MaxSyscall:   abi.MaxSyscall,
		NetMode:      rules.Mode,
		UnixSockets:  rules.UnixSockets,
		ForeignArch:  verdictName(rules.Foreign),
		Compat:       map[string]string{},
		Instructions: n,
	}
	for _, c := range abi.Compat {
		s.Compat[c.Name] = verdictName(rules.Compat)
	}
	if abi.X32Bit != 0 {
		s.X32 = verdictName(rules.X32)
	}
	s.AllowedFamilies, _ = rules.AllowedFamilies()
	if s.AllowedFamilies == nil {
		s.AllowedFamilies = []string{}
	}
	s.RefusedFamilies = []string{}
	for _, f := range rules.Families {
		if !f.Allow {
			s.RefusedFamilies = append(s.RefusedFamilies, f.Family.String())
		}
	}
	s.OtherFamilies = verdictName(rules.OtherFamilies)
	for _, r := range rules.Rules {
		e := SyscallSummary{Name: r.Name, Nr: abi.Numbers[r.Name], Verdict: verdictName(r.Default), Why: r.Default.Why}
		if len(r.Cases) == 0 {
			s.Refused = append(s.Refused, e)
			continue
		}
		for _, c := range r.Cases {
			conds := make([]string, len(c.When))
			for i, w := range c.When {
				conds[i] = w.String()
			}
			e.Checks = append(e.Checks, strings.Join(conds, " and ")+": "+verdictName(c.Verdict))
		}
		s.ArgChecked = append(s.ArgChecked, e)
	}
	return s
}

// Bytes returns the program as an array of struct sock_filter in the
// target's byte order (little-endian on both targets), as
// seccomp(SECCOMP_SET_MODE_FILTER) takes it and seccomp-ARCH.bpf holds it.
func (p *Program) Bytes() []byte { return Encode(p.Raw) }

// Encode writes instructions as little-endian struct sock_filter:
// code (u16), jt (u8), jf (u8), k (u32).
func Encode(raw []bpf.RawInstruction) []byte {
	b := make([]byte, 0, 8*len(raw))
	for _, r := range raw {
		b = binary.LittleEndian.AppendUint16(b, r.Op)
		b = append(b, r.Jt, r.Jf)
		b = binary.LittleEndian.AppendUint32(b, r.K)
	}
	return b
}

// Decode reads what Encode wrote, checking the size the kernel accepts.
func Decode(b []byte) ([]bpf.RawInstruction, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("seccomp: program of %d bytes is not a whole number of 8-byte instructions", len(b))
	}
	n := len(b) / 8
	if n == 0 || n > maxInstructions {
		return nil, fmt.Errorf("seccomp: program of %d instructions; want 1 to %d", n, maxInstructions)
	}
	raw := make([]bpf.RawInstruction, n)
	for i := range raw {
		w := b[8*i:]
		raw[i] = bpf.RawInstruction{
			Op: binary.LittleEndian.Uint16(w),
			Jt: w[2],
			Jf: w[3],
			K:  binary.LittleEndian.Uint32(w[4:]),
		}
	}
	return raw, nil
}

func header(s Summary) []string {
	h := []string{
		fmt.Sprintf("permc seccomp filter for %s (audit arch %s), %d instructions", s.Arch, s.AuditArch, s.Instructions),
		fmt.Sprintf("network %s, unix sockets %s", s.NetMode, s.UnixSockets),
		fmt.Sprintf("refused calls return %s; clone3, numbers above %d, x32 and compat ABIs return %s; other architectures: %s",
			s.Errno, s.MaxSyscall, s.UnknownErrno, s.ForeignArch),
		"seccomp_data: nr at 0, arch at 4, args[i] low word at 16+8i, high word at 20+8i (little-endian)",
	}
	return h
}

// Disasm returns the program as text: one instruction a line with its pc,
// absolute jump targets and a comment, each block headed by why it is
// there, the verdict it returns and its origin.
func (p *Program) Disasm() string {
	var b strings.Builder
	for _, h := range p.head {
		fmt.Fprintf(&b, "; %s\n", h)
	}
	for pc, l := range p.lines {
		for _, blk := range l.blocks {
			fmt.Fprintf(&b, "\n; %s\n", blk)
		}
		text := formatInsn(pc, l.insn)
		if l.comment != "" {
			text = fmt.Sprintf("%-40s ; %s", text, l.comment)
		}
		fmt.Fprintf(&b, "%04d  %s\n", pc, text)
	}
	return b.String()
}

var jumpNames = map[bpf.JumpTest]string{
	bpf.JumpEqual:          "jeq",
	bpf.JumpGreaterThan:    "jgt",
	bpf.JumpGreaterOrEqual: "jge",
	bpf.JumpBitsSet:        "jset",
}

func formatInsn(pc int, ins bpf.Instruction) string {
	switch i := ins.(type) {
	case bpf.LoadAbsolute:
		return fmt.Sprintf("ld   [%d]", i.Off)
	case bpf.ALUOpConstant:
		if i.Op == bpf.ALUOpAnd {
			return fmt.Sprintf("and  #%#x", i.Val)
		}
	case bpf.JumpIf:
		return fmt.Sprintf("%-4s #%s -> %04d : %04d", jumpNames[i.Cond], constant(i.Val),
			pc+1+int(i.SkipTrue), pc+1+int(i.SkipFalse))
	case bpf.Jump:
		return fmt.Sprintf("ja   %04d", pc+1+int(i.Skip))
	case bpf.RetConstant:
		return "ret  " + retName(i.Val)
	}
	return fmt.Sprint(ins)
}

// constant prints a jump's operand: numbers, families and types in
// decimal, masks and ioctl requests in hex.
func constant(v uint32) string {
	if v < 4096 {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%#x", v)
}

// retName names a seccomp return value.
func retName(v uint32) string {
	switch {
	case v == retAllow:
		return "ALLOW"
	case v == retKillProcess:
		return "KILL_PROCESS"
	case v == retUserNotif:
		return "USER_NOTIF"
	case v&0xffff0000 == retErrno:
		return fmt.Sprintf("ERRNO(%s)", ir.Errno(v&0xffff))
	}
	return fmt.Sprintf("%#x", v)
}
