// Package udiff renders line-based unified diffs for golden-file checks.
package udiff

import (
	"bytes"
	"fmt"
	"strings"
)

// Diff returns a unified diff from a to b with three lines of context, or
// "" when they are equal.
func Diff(nameA, nameB string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	if binary(a) || binary(b) {
		return fmt.Sprintf("Binary files %s and %s differ\n", nameA, nameB)
	}
	x, y := lines(string(a)), lines(string(b))
	ops := script(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for _, h := range hunks(ops, 3) {
		writeHunk(&out, h, x, y)
	}
	return out.String()
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	ls := strings.SplitAfter(s, "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

type op struct {
	kind byte // ' ', '-', '+'
	i, j int  // indexes into a and b
}

// script computes an edit script by longest common subsequence, trimming
// the common prefix and suffix first so typical golden diffs stay cheap.
func script(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	var ops []op
	for k := 0; k < pre; k++ {
		ops = append(ops, op{' ', k, k})
	}
	ops = append(ops, lcs(ma, mb, pre)...)
	for k := 0; k < suf; k++ {
		ops = append(ops, op{' ', len(a) - suf + k, len(b) - suf + k})
	}
	return ops
}

func lcs(a, b []string, off int) []op {
	n, m := len(a), len(b)
	t := make([][]int32, n+1)
	for i := range t {
		t[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', off + i, off + j})
			i, j = i+1, j+1
		case j < m && (i == n || t[i][j+1] >= t[i+1][j]):
			ops = append(ops, op{'+', off + i, off + j})
			j++
		default:
			ops = append(ops, op{'-', off + i, off + j})
			i++
		}
	}
	return ops
}

// hunks groups changes with ctx lines of context around them.
func hunks(ops []op, ctx int) [][]op {
	var out [][]op
	start := -1
	last := -1
	for k, o := range ops {
		if o.kind == ' ' {
			continue
		}
		if start >= 0 && k-last > 2*ctx {
			out = append(out, ops[start:min(len(ops), last+ctx+1)])
			start = -1
		}
		if start < 0 {
			start = max(0, k-ctx)
		}
		last = k
	}
	if start >= 0 {
		out = append(out, ops[start:min(len(ops), last+ctx+1)])
	}
	return out
}

func writeHunk(w *strings.Builder, h []op, a, b []string) {
	na, nb := 0, 0
	for _, o := range h {
		if o.kind != '+' {
			na++
		}
		if o.kind != '-' {
			nb++
		}
	}
	fmt.Fprintf(w, "@@ -%d,%d +%d,%d @@\n", h[0].i+1, na, h[0].j+1, nb)
	for _, o := range h {
		line := ""
		switch o.kind {
		case '+':
			line = b[o.j]
		default:
			line = a[o.i]
		}
		w.WriteByte(o.kind)
		w.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			w.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// binary reports whether b looks like a binary file (a NUL byte in its
// first 8 KiB, as diff and git judge it).
func binary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), 8192)], 0) >= 0
}
