package frontend

import (
	"strconv"
	"strings"

	"github.com/permc/permc/internal/diag"
)

func closest(s string, known []string) string { return diag.Closest(s, known) }

func joinQuoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// quoteKey renders a key as TOML would need it in a dotted path.
func quoteKey(k string) string {
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return strconv.Quote(k)
		}
	}
	return k
}
