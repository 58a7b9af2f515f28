package seccomp

import (
	"testing"

	"golang.org/x/net/bpf"

	"github.com/permc/permc/ir"
)

func linkVM(t *testing.T, a *assembler) (*vm, []line) {
	t.Helper()
	lines, err := a.link()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := newProgram(X86_64, X86_64.ABI(), &ir.SyscallRules{}, lines)
	if err != nil {
		t.Fatal(err)
	}
	return newVM(t, prog), lines
}

func countJa(lines []line) int {
	n := 0
	for _, l := range lines {
		if _, ok := l.insn.(bpf.Jump); ok {
			n++
		}
	}
	return n
}

// TestLongJumps needs trampolines for both branches of a conditional jump.
func TestLongJumps(t *testing.T) {
	var a assembler
	far1, far2 := a.newLabel(), a.newLabel()
	a.insn(bpf.LoadAbsolute{Off: offNr, Size: 4}, "")
	a.jumpIf(bpf.JumpEqual, 1, far1, next, "true branch far")
	a.jumpIf(bpf.JumpEqual, 2, next, far2, "false branch far")
	for i := 0; i < 300; i++ {
		a.insn(bpf.LoadAbsolute{Off: offNr, Size: 4}, "filler")
	}
	a.insn(bpf.RetConstant{Val: 100}, "")
	a.bind(far1)
	a.insn(bpf.RetConstant{Val: 1}, "")
	a.bind(far2)
	a.insn(bpf.RetConstant{Val: 2}, "")

	v, lines := linkVM(t, &a)
	if n := countJa(lines); n != 2 {
		t.Errorf("%d trampolines, want 2", n)
	}
	for nr, want := range map[uint32]uint32{1: 1, 2: 100, 3: 2, 0: 2} {
		n, err := v.vm.Run(seccompData(0, nr, [6]uint64{}))
		if err != nil || uint32(n) != want {
			t.Errorf("nr %d: %d, %v; want %d", nr, n, err, want)
		}
	}
}

// TestLongJumpCascade has so many far jumps that trampolines push other
// jumps out of reach in turn.
func TestLongJumpCascade(t *testing.T) {
	var a assembler
	far := a.newLabel()
	a.insn(bpf.LoadAbsolute{Off: offNr, Size: 4}, "")
	for i := uint32(0); i < 600; i++ {
		a.jumpIf(bpf.JumpEqual, i, far, next, "")
	}
	a.insn(bpf.RetConstant{Val: 7}, "")
	for i := 0; i < 200; i++ {
		a.insn(bpf.RetConstant{Val: 8}, "padding")
	}
	a.bind(far)
	a.insn(bpf.RetConstant{Val: 9}, "")

	v, lines := linkVM(t, &a)
	if countJa(lines) == 0 {
		t.Fatal("no trampolines")
	}
	for _, nr := range []uint32{0, 1, 250, 256, 599} {
		if n, _ := v.vm.Run(seccompData(0, nr, [6]uint64{})); n != 9 {
			t.Errorf("nr %d: %d, want 9", nr, n)
		}
	}
	if n, _ := v.vm.Run(seccompData(0, 600, [6]uint64{})); n != 7 {
		t.Errorf("nr 600: %d, want 7", n)
	}
}

func TestTooLong(t *testing.T) {
	var a assembler
	for i := 0; i <= maxInstructions; i++ {
		a.insn(bpf.RetConstant{Val: 0}, "")
	}
	if _, err := a.link(); err == nil {
		t.Error("a program over 4096 instructions linked")
	}
}

// TestBigRuleSet compiles rules whose first block is longer than a
// conditional jump reaches, so that the dispatch needs long jumps, and
// checks the program against the reference.
func TestBigRuleSet(t *testing.T) {
	rules := ir.SyscallPolicy(ir.NetOff, false, false)
	rule := rules.Rule("ioctl")
	for req := uint32(0x1000); req < 0x1000+400; req++ {
		rule.Cases = append(rule.Cases, ir.ArgCase{
			When:    []ir.ArgCond{{Arg: 1, Op: ir.ArgMaskedEq32, Mask: 0xffffffff, Value: req}},
			Verdict: ir.SyscallVerdict{Action: ir.SysErrno, Errno: ir.EPERM, Why: "test"},
		})
	}
	abi := X86_64.ABI()
	prog, err := compileRules(&rules, X86_64, abi, provenance{})
	if err != nil {
		t.Fatal(err)
	}
	if countJa(prog.lines) == 0 {
		t.Fatal("no long jumps in a program that needs them")
	}
	v := newVM(t, prog)
	for nr := uint32(0); nr <= abi.MaxSyscall+2; nr++ {
		for _, req := range []uint64{0, 0x1000, 0x1001, 0x118f, 0x1190, 0x5412, hi | 0x1100} {
			args := [6]uint64{1, req}
			want := retName(retValue(rules.Decide(abi, abi.AuditArch, nr, args)))
			if got := v.run(abi.AuditArch, nr, args); got != want {
				t.Fatalf("nr %d req %#x: %s, want %s", nr, req, got, want)
			}
		}
	}
	t.Logf("%d instructions, %d long jumps", len(prog.Raw), countJa(prog.lines))
}
