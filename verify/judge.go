package verify

import (
	"fmt"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// maxDetails bounds the lines a failed check prints; the count of the
// rest is given.
const maxDetails = 12

// reported maps the position of each rule the enforceability pass
// reported for target t as one the target cannot enforce, or enforces
// only in part, to the message. A difference decided by such a rule is
// expected, not a failure. Two kinds of report explain nothing: that a
// deny glob covers only what exists at start, up to glob_scan_max_depth,
// which ir.Decide models itself (so a difference there is a bug of the
// glob's expansion), and notes. On Windows only the findings of mode m
// count: a rule only the other mode cannot enforce says nothing of this
// one.
func reported(p *ir.Policy, t ir.Target, m ir.Mode) map[string]string {
	out := map[string]string{}
	for _, d := range passes.Enforceability(p, t) {
		if d.Severity == diag.Note || !d.Pos.IsValid() || !ofMode(d.Message, m) ||
			d.Code == diag.GlobSnapshot || d.Code == diag.UnboundedGlob {
			continue
		}
		if _, ok := out[posKey(d.Pos)]; !ok {
			out[posKey(d.Pos)] = d.String()
		}
	}
	return out
}

// ofMode reports whether a Windows finding concerns mode m: its message
// names no mode, or names m ("elevated mode: ...", "... (elevated mode)").
func ofMode(msg string, m ir.Mode) bool {
	for _, other := range []ir.Mode{ir.ModeElevated, ir.ModeUnelevated} {
		if other == m {
			continue
		}
		if strings.HasPrefix(msg, string(other)+" mode:") || strings.Contains(msg, "("+string(other)+" mode)") {
			return false
		}
	}
	return true
}

func posKey(p diag.Pos) string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// tally collects the outcome of one decision check.
type tally struct {
	name     string
	ref      string // what the artifact is compared with
	compared int
	excused  int
	fails    []string
	nfail    int
	// known counts the differences a backend documents as a limitation
	// (fail-closed ones on Windows, the readable /proc on Linux), by
	// reason.
	known map[string]int
}

func newTally(name string) *tally {
	return &tally{name: name, ref: "ir.Decide", known: map[string]int{}}
}

func (tl *tally) fail(format string, args ...any) {
	tl.nfail++
	if len(tl.fails) < maxDetails {
		tl.fails = append(tl.fails, fmt.Sprintf(format, args...))
	}
}

// differ records a difference between the artifact and ir.Decide at path,
// excused when the enforceability pass reported the deciding rule.
func (tl *tally) differ(rep map[string]string, d ir.Decision, path, what string) {
	if d.By != nil && d.By.Origin.Pos.IsValid() {
		if _, ok := rep[posKey(d.By.Origin.Pos)]; ok {
			tl.excused++
			return
		}
	}
	tl.fail("%s: %s; ir.Decide: %s", quote(path), what, decided(d))
}

// check renders the tally; sum says what was compared.
func (tl *tally) check(sum string) Check {
	c := Check{Name: tl.name, Compared: tl.compared, Excused: tl.excused}
	if len(tl.known) > 0 {
		c.Known = tl.known
	}
	var extra []string
	if tl.excused > 0 {
		extra = append(extra, fmt.Sprintf("%d difference(s) at rules the enforceability pass reported", tl.excused))
	}
	for _, why := range sortedKeys(tl.known) {
		extra = append(extra, fmt.Sprintf("%d known: %s", tl.known[why], why))
	}
	if len(extra) > 0 {
		sum += " (" + strings.Join(extra, "; ") + ")"
	}
	if tl.nfail == 0 {
		c.Status, c.Summary = OK, sum+": agree with "+tl.ref
		return c
	}
	c.Status = Failed
	c.Summary = fmt.Sprintf("%s: %d difference(s) from %s", sum, tl.nfail, tl.ref)
	c.Details = tl.fails
	if tl.nfail > len(tl.fails) {
		c.Details = append(c.Details, fmt.Sprintf("... and %d more", tl.nfail-len(tl.fails)))
	}
	return c
}

// decided renders a reference decision with the entry that made it.
func decided(d ir.Decision) string {
	s := "read " + yesNo(d.Read) + ", write " + yesNo(d.Write)
	if d.By == nil {
		return s + " (no rule matches)"
	}
	return fmt.Sprintf("%s, by %s %q = %s at %s", s, d.By.Kind, d.By.Path, d.By.Access, d.By.Origin)
}

func yesNo(b bool) string {
	if b {
		return "allowed"
	}
	return "denied"
}

// quote quotes a path when it holds spaces or characters a terminal would
// not show plainly.
func quote(p string) string {
	for _, r := range p {
		if r <= ' ' || r == '"' || r == 0x7f {
			return fmt.Sprintf("%q", p)
		}
	}
	return p
}
