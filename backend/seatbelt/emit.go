package seatbelt

import (
	"strings"
)

// writer accumulates SBPL text, counting lines and the parameters used.
type writer struct {
	b          strings.Builder
	lines      int
	params     map[string]bool
	paramExprs map[string]string // (param "NAME") by NAME, written once
}

func newWriter() *writer {
	return &writer{params: map[string]bool{}, paramExprs: map[string]string{}}
}

// line writes s and a newline. s holds no newline except between the
// lines of a multi-line form.
func (w *writer) line(s string) {
	w.b.WriteString(s)
	w.b.WriteByte('\n')
	w.lines += strings.Count(s, "\n") + 1
}

// comment writes s as a one-line comment.
func (w *writer) comment(s string) {
	t := commentText(s)
	w.b.WriteString("; ")
	w.b.WriteString(t)
	w.b.WriteByte('\n')
	w.lines += strings.Count(t, "\n") + 1
}

// nextLine is the 1-based number of the line the next write starts.
func (w *writer) nextLine() int { return w.lines + 1 }

// param returns (param "NAME") and records that the profile uses NAME.
func (w *writer) param(name string) string {
	if expr, ok := w.paramExprs[name]; ok {
		return expr
	}
	w.params[name] = true
	expr := "(param " + Quote(name) + ")"
	w.paramExprs[name] = expr
	return expr
}

// form writes one allow or deny form with a comment line before it.
// Several filters go one per line.
//
// It writes what line would be given for the whole form, piece by piece.
func (w *writer) form(comment, action string, ops []string, filters []string) {
	w.comment(comment)
	w.piece("(")
	w.piece(action)
	w.piece(" ")
	for i, op := range ops {
		if i > 0 {
			w.piece(" ")
		}
		w.piece(op)
	}
	switch len(filters) {
	case 0:
	case 1:
		w.piece(" ")
		w.piece(filters[0])
	default:
		for _, f := range filters {
			w.piece("\n  ")
			w.piece(f)
		}
	}
	w.piece(")")
	w.b.WriteByte('\n')
	w.lines++
}

// piece writes part of a line.
func (w *writer) piece(s string) {
	w.b.WriteString(s)
	w.lines += strings.Count(s, "\n")
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
