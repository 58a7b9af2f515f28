package diag

import (
	"fmt"
	"strings"
)

// Markdown renders the code table as docs/diagnostics.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Diagnostic codes\n\n")
	b.WriteString("Generated from `internal/diag/codes.go` by `make docs`; do not edit.\n\n")
	b.WriteString("Every diagnostic prints as `file:line:col: severity[code]: message`. ")
	b.WriteString("Codes are stable: a code never changes meaning.\n\n")
	for _, c := range Codes {
		fmt.Fprintf(&b, "## `%s`\n\n%s.\n\n", c.Code, upperFirst(c.Summary))
		if c.Example != "" {
			fmt.Fprintf(&b, "- Example: %s\n", c.Example)
		}
		fmt.Fprintf(&b, "- Fix: %s\n\n", c.Fix)
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
