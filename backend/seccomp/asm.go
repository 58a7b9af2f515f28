package seccomp

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// maxInstructions is the kernel's limit on a classic BPF program
// (BPF_MAXINSNS).
const maxInstructions = 4096

// label names a place in the program; code jumps to labels and the
// assembler turns them into offsets.
type label int

// next is the label of the instruction right after a jump.
const next label = -1

type itemKind uint8

const (
	itemInsn  itemKind = iota // a plain instruction
	itemCond                  // a conditional jump to labels
	itemJump                  // an unconditional jump to a label
	itemLabel                 // binds a label here
	itemBlock                 // a comment heading the code that follows
)

// item is one entry of the program before layout.
type item struct {
	kind    itemKind
	insn    bpf.Instruction // itemInsn
	cond    bpf.JumpTest    // itemCond
	val     uint32          // itemCond
	jt, jf  label           // itemCond; jt is also itemJump's target
	lbl     label           // itemLabel
	comment string          // instruction comment, or block text
}

// assembler collects instructions that jump to labels and lays them out.
//
// Classic BPF jumps only forward; a conditional jump reaches at most 255
// instructions, an unconditional one (ja) 2^32-1. Layout starts with every
// conditional jump direct; any whose target lies too far gets a trampoline,
// a ja right after it, and the layout repeats. Trampolines only move code
// further apart, so the loop ends.
type assembler struct {
	items   []item
	nlabels int
}

func (a *assembler) newLabel() label {
	a.nlabels++
	return label(a.nlabels - 1)
}

func (a *assembler) bind(l label) { a.items = append(a.items, item{kind: itemLabel, lbl: l}) }

func (a *assembler) block(text string) {
	a.items = append(a.items, item{kind: itemBlock, comment: text})
}

func (a *assembler) insn(i bpf.Instruction, comment string) {
	a.items = append(a.items, item{kind: itemInsn, insn: i, comment: comment})
}

func (a *assembler) jumpIf(cond bpf.JumpTest, val uint32, jt, jf label, comment string) {
	a.items = append(a.items, item{kind: itemCond, cond: cond, val: val, jt: jt, jf: jf, comment: comment})
}

func (a *assembler) jump(to label, comment string) {
	a.items = append(a.items, item{kind: itemJump, jt: to, comment: comment})
}

// line is one laid-out instruction with what the disassembly shows next to
// it.
type line struct {
	insn    bpf.Instruction
	comment string
	blocks  []string // block headings printed before it
}

// layout tracks, per conditional jump, whether its true or false target
// goes through a trampoline.
type layout struct {
	tramT, tramF []bool
	pc           []int // per item: pc of its first instruction
	labelPC      []int
}

// link lays the program out, resolves labels and returns the instructions
// with their comments.
func (a *assembler) link() ([]line, error) {
	lay := layout{
		tramT: make([]bool, len(a.items)),
		tramF: make([]bool, len(a.items)),
	}
	for {
		if err := a.place(&lay); err != nil {
			return nil, err
		}
		if !a.relax(&lay) {
			break
		}
	}
	return a.emit(&lay)
}

// place assigns program counters to items and labels.
func (a *assembler) place(lay *layout) error {
	lay.pc = make([]int, len(a.items))
	lay.labelPC = make([]int, a.nlabels)
	for i := range lay.labelPC {
		lay.labelPC[i] = -1
	}
	pc := 0
	for i, it := range a.items {
		lay.pc[i] = pc
		switch it.kind {
		case itemInsn, itemJump:
			pc++
		case itemCond:
			pc += 1 + b2i(lay.tramT[i]) + b2i(lay.tramF[i])
		case itemLabel:
			if lay.labelPC[it.lbl] >= 0 {
				return fmt.Errorf("seccomp: bug: label %d bound twice", it.lbl)
			}
			lay.labelPC[it.lbl] = pc
		}
	}
	if pc > maxInstructions {
		return fmt.Errorf("seccomp: program needs %d instructions, over the kernel's %d", pc, maxInstructions)
	}
	return nil
}

// target returns the pc a jump of item i goes to.
func (lay *layout) target(i int, l label) int {
	if l == next {
		return lay.pc[i] + 1 + b2i(lay.tramT[i]) + b2i(lay.tramF[i])
	}
	return lay.labelPC[l]
}

// relax gives a trampoline to every conditional jump that cannot reach its
// target directly, and reports whether it changed anything.
func (a *assembler) relax(lay *layout) bool {
	changed := false
	for i, it := range a.items {
		if it.kind != itemCond {
			continue
		}
		from := lay.pc[i] + 1
		if !lay.tramT[i] && lay.target(i, it.jt)-from > 255 {
			lay.tramT[i], changed = true, true
		}
		if !lay.tramF[i] && lay.target(i, it.jf)-from > 255 {
			lay.tramF[i], changed = true, true
		}
	}
	return changed
}

// emit writes the laid-out instructions.
func (a *assembler) emit(lay *layout) ([]line, error) {
	var out []line
	var blocks []string
	add := func(ins bpf.Instruction, comment string) {
		out = append(out, line{insn: ins, comment: comment, blocks: blocks})
		blocks = nil
	}
	offset := func(from, to int) (uint32, error) {
		if to < from {
			return 0, fmt.Errorf("seccomp: bug: jump from %d back to %d", from-1, to)
		}
		return uint32(to - from), nil
	}
	for i, it := range a.items {
		switch it.kind {
		case itemBlock:
			blocks = append(blocks, it.comment)
		case itemInsn:
			add(it.insn, it.comment)
		case itemJump:
			off, err := offset(lay.pc[i]+1, lay.target(i, it.jt))
			if err != nil {
				return nil, err
			}
			add(bpf.Jump{Skip: off}, it.comment)
		case itemCond:
			if err := a.emitCond(lay, i, add, offset); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// emitCond writes one conditional jump and its trampolines: the jump at
// pc, then a ja for the true target, then one for the false target, each
// only when needed.
func (a *assembler) emitCond(lay *layout, i int, add func(bpf.Instruction, string),
	offset func(from, to int) (uint32, error)) error {
	it := a.items[i]
	pc := lay.pc[i]
	tT, tF := lay.target(i, it.jt), lay.target(i, it.jf)
	var skipT, skipF uint32
	var err error
	if lay.tramT[i] {
		skipT = 0
	} else if skipT, err = offset(pc+1, tT); err != nil {
		return err
	}
	if lay.tramF[i] {
		skipF = uint32(b2i(lay.tramT[i]))
	} else if skipF, err = offset(pc+1, tF); err != nil {
		return err
	}
	if skipT > 255 || skipF > 255 {
		return fmt.Errorf("seccomp: bug: conditional jump at %d out of reach after relaxation", pc)
	}
	add(bpf.JumpIf{Cond: it.cond, Val: it.val, SkipTrue: uint8(skipT), SkipFalse: uint8(skipF)}, it.comment)
	tramp := pc + 1
	if lay.tramT[i] {
		off, err := offset(tramp+1, tT)
		if err != nil {
			return err
		}
		add(bpf.Jump{Skip: off}, "long jump (true)")
		tramp++
	}
	if lay.tramF[i] {
		off, err := offset(tramp+1, tF)
		if err != nil {
			return err
		}
		add(bpf.Jump{Skip: off}, "long jump (false)")
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
