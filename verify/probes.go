package verify

import (
	"sort"
	"strings"
	"unicode"

	"github.com/permc/permc/ir"
	"github.com/permc/permc/review"
)

// Binding is the synthetic machine a target's check binds the symbolic
// roots to. Linux and Windows use permc diff's (review.Synthetic). macOS
// uses a Mac's usual layout instead, with each root at the depth the
// Seatbelt compiler orders rules for (~ at /Users/u, $TMPDIR below
// /private/var/folders, the workspace at /Users/u/src/ws): on diff's
// layout (/ws, /tmp/t) the launcher refuses many profiles, failing
// closed, and nothing would be compared.
func Binding(t ir.Target) ir.Binding {
	if t == ir.MacOS {
		return macMachine
	}
	return review.Synthetic[t]
}

var macMachine = ir.Binding{Home: "/Users/u", Tmpdir: "/private/var/folders/zz/permc/T", SlashTmp: true,
	WorkspaceRoots: []string{"/Users/u/src/ws"}}

// Probes returns the probe set of target t for p: the rule-boundary probes
// of permc diff (every rule path, a path below it and one beside it, each
// workspace root's protected metadata, every :minimal entry, one or two
// example paths per glob), and, on the targets that fold case (macOS for
// denies, Windows always), each of them with its last component in the
// other case. The roots are bound as Binding(t) says; paths are spelled
// as t sees them (macOS in /private form), sorted and without repeats.
func Probes(t ir.Target, p *ir.Policy) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range review.ProbesFor(t, Binding(t), p) {
		add(s)
		if t == ir.MacOS || t == ir.Windows {
			if v, ok := swapCase(t, s); ok {
				add(v)
			}
		}
	}
	sort.Strings(out)
	return out
}

// swapCase returns path with the case of its last component swapped, when
// that changes it.
func swapCase(t ir.Target, path string) (string, bool) {
	c, ok := ir.SplitPath(t, path)
	if !ok || len(c) < 2 {
		return "", false
	}
	last := c[len(c)-1]
	sw := strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, last)
	if sw == last {
		return "", false
	}
	c = append(append([]string(nil), c[:len(c)-1]...), sw)
	return ir.JoinPath(t, c), true
}
