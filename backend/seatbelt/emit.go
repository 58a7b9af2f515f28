package seatbelt

import (
	"strings"
)

// writer accumulates SBPL text, counting lines and the parameters used.
type writer struct {
	b      strings.Builder
	lines  int
	params map[string]bool
}

func newWriter() *writer { return &writer{params: map[string]bool{}} }

// line writes s and a newline. s holds no newline except between the
// lines of a multi-line form.
func (w *writer) line(s string) {
	w.b.WriteString(s)
	w.b.WriteByte('\n')
	w.lines += strings.Count(s, "\n") + 1
}

// comment writes s as a one-line comment.
func (w *writer) comment(s string) { w.line("; " + commentText(s)) }

// nextLine is the 1-based number of the line the next write starts.
func (w *writer) nextLine() int { return w.lines + 1 }

// param returns (param "NAME") and records that the profile uses NAME.
func (w *writer) param(name string) string {
	w.params[name] = true
	return "(param " + Quote(name) + ")"
}

// form writes one allow or deny form with a comment line before it.
// Several filters go one per line.
func (w *writer) form(comment, action string, ops []string, filters []string) {
	w.comment(comment)
	head := "(" + action + " " + strings.Join(ops, " ")
	switch len(filters) {
	case 0:
		w.line(head + ")")
	case 1:
		w.line(head + " " + filters[0] + ")")
	default:
		w.line(head + "\n  " + strings.Join(filters, "\n  ") + ")")
	}
}

// appendExpr renders (string-append ...) of its parts, dropping empty
// string literals; a single part is returned as is.
func appendExpr(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != `""` {
			keep = append(keep, p)
		}
	}
	if len(keep) == 1 {
		return keep[0]
	}
	return "(string-append " + strings.Join(keep, " ") + ")"
}

// Operation lists of the file rules: a deny uses exactly the names the
// allows it overrides use.
var (
	opsRead  = []string{"file-read*"}
	opsWrite = []string{"file-write*"}
	opsBoth  = []string{"file-read*", "file-write*"}
	opsGuard = []string{"file-write-unlink"}
)
