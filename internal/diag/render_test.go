package diag

import (
	"strings"
	"testing"
)

// When the list is capped, every error is shown before any warning, so a
// failed command always says why, in file order.
func TestRenderCapShowsErrorsFirst(t *testing.T) {
	var l List
	for i := 1; i <= 12; i++ {
		l.Warnf(Pos{File: "c.toml", Line: i, Col: 1}, Type, "warning %d", i)
	}
	l.Errorf(Pos{File: "c.toml", Line: 16, Col: 1}, UnknownKey, "the error")
	var b strings.Builder
	l.Render(&b, 10)
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 11 || !strings.Contains(out, "c.toml:16:1: error") ||
		!strings.HasSuffix(out, "too many diagnostics: 3 more not shown (use --all-errors)\n") {
		t.Fatalf("capped output:\n%s", out)
	}
	if !strings.Contains(lines[9], "the error") {
		t.Errorf("the error should come last, in file order:\n%s", out)
	}
	b.Reset()
	l.Render(&b, 0)
	if n := strings.Count(b.String(), "\n"); n != 13 {
		t.Errorf("uncapped: %d lines, want 13", n)
	}
}
