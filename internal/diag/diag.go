// Package diag holds source positions and the one diagnostic type every
// stage of permc reports through.
//
// A diagnostic points at the key or value that caused it, carries a stable
// code documented in codes.go, and renders editor-clickable:
//
//	config.toml:12:5: error[unknown-key]: unknown key "filesytem" in profile "p"; did you mean "filesystem"?
package diag

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Pos is a position in a config file. Line and Col are 1-based; a zero Line
// means the position is unknown (built-ins, command-line flags).
type Pos struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Col    int    `json:"col,omitempty"`
	Offset int    `json:"offset,omitempty"`
}

// IsValid reports whether p names a place in a file.
func (p Pos) IsValid() bool { return p.File != "" && p.Line > 0 }

// String renders p as file:line:col, or as much of it as is known.
func (p Pos) String() string {
	switch {
	case p.File == "":
		return "<builtin>"
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Short renders p as file:line, the form artifacts use for provenance.
func (p Pos) Short() string {
	if p.File == "" {
		return "builtin"
	}
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Before orders positions by file, then line, then column.
func (p Pos) Before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Severity says whether a diagnostic stops compilation.
type Severity int

const (
	Error Severity = iota
	Warning
	Note
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// MarshalText renders the severity as its name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Related is a second position that explains a diagnostic ("see also").
type Related struct {
	Pos     Pos    `json:"pos"`
	Message string `json:"message"`
}

// Diagnostic is one finding about the configuration.
type Diagnostic struct {
	Pos      Pos       `json:"pos"`
	Severity Severity  `json:"severity"`
	Code     Code      `json:"code"`
	Message  string    `json:"message"`
	Target   string    `json:"target,omitempty"`
	Related  []Related `json:"related,omitempty"`
}

// String renders the diagnostic on one line, without related notes.
func (d Diagnostic) String() string {
	tgt := ""
	if d.Target != "" {
		tgt = " (" + d.Target + ")"
	}
	return fmt.Sprintf("%s: %s[%s]%s: %s", d.Pos, d.Severity, d.Code, tgt, d.Message)
}

// List collects diagnostics. The zero value is ready to use.
type List []Diagnostic

// Add appends d.
func (l *List) Add(d Diagnostic) { *l = append(*l, d) }

// Errorf appends an error at pos.
func (l *List) Errorf(pos Pos, code Code, format string, args ...any) *Diagnostic {
	*l = append(*l, Diagnostic{Pos: pos, Severity: Error, Code: code, Message: fmt.Sprintf(format, args...)})
	return &(*l)[len(*l)-1]
}

// Warnf appends a warning at pos.
func (l *List) Warnf(pos Pos, code Code, format string, args ...any) *Diagnostic {
	*l = append(*l, Diagnostic{Pos: pos, Severity: Warning, Code: code, Message: fmt.Sprintf(format, args...)})
	return &(*l)[len(*l)-1]
}

// Notef appends a note at pos.
func (l *List) Notef(pos Pos, code Code, format string, args ...any) *Diagnostic {
	*l = append(*l, Diagnostic{Pos: pos, Severity: Note, Code: code, Message: fmt.Sprintf(format, args...)})
	return &(*l)[len(*l)-1]
}

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the errors of l.
func (l List) Errors() List {
	var out List
	for _, d := range l {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Sorted returns the diagnostics ordered by position, with exact repeats
// (same place, code, target and message) dropped.
func (l List) Sorted() List {
	out := append(List(nil), l...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pos != b.Pos {
			return a.Pos.Before(b.Pos)
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.Message < b.Message
	})
	dedup := out[:0]
	for i, d := range out {
		if i > 0 {
			p := out[i-1]
			if p.Pos == d.Pos && p.Code == d.Code && p.Message == d.Message && p.Target == d.Target {
				continue
			}
		}
		dedup = append(dedup, d)
	}
	return dedup
}

// Render writes the sorted list as text. At most max diagnostics are
// printed when max > 0, errors before warnings and notes (so a run that
// failed always shows why), in the list's order; a final line says how
// many were left out.
func (l List) Render(w io.Writer, max int) {
	s := l.Sorted()
	shown := s
	if max > 0 && len(s) > max {
		keep := make([]bool, len(s))
		n := 0
		for pass := 0; pass < 2; pass++ {
			for i, d := range s {
				if n < max && !keep[i] && (pass == 1 || d.Severity == Error) {
					keep[i] = true
					n++
				}
			}
		}
		shown = nil
		for i, d := range s {
			if keep[i] {
				shown = append(shown, d)
			}
		}
	}
	for _, d := range shown {
		fmt.Fprintln(w, d.String())
		for _, r := range d.Related {
			fmt.Fprintf(w, "\t%s: note: %s\n", r.Pos, r.Message)
		}
	}
	if len(shown) < len(s) {
		fmt.Fprintf(w, "too many diagnostics: %d more not shown (use --all-errors)\n", len(s)-len(shown))
	}
}

// Err is an error that carries diagnostics, for APIs that return error.
type Err struct{ List List }

func (e *Err) Error() string {
	var b strings.Builder
	errs := e.List.Errors()
	if len(errs) == 0 {
		errs = e.List
	}
	for i, d := range errs.Sorted() {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(d.String())
	}
	return b.String()
}
