package diag

import (
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	known := []string{"filesystem", "network", "workspace", "café"}
	for s, want := range map[string]string{
		"filesytem": "filesystem", "netwrok": "network", "work": "workspace", "cafe": "café", "zzzzzz": "",
	} {
		if got := Closest(s, known); got != want {
			t.Errorf("Closest(%q) = %q, want %q", s, got, want)
		}
	}
}

// Long names get no suggestion: comparing two 20,000-byte names would
// take a table of 400 million cells.
func TestClosestLongNames(t *testing.T) {
	long := strings.Repeat("a", 20000)
	allocs := testing.AllocsPerRun(1, func() {
		if got := Closest(long+"b", []string{long + "c"}); got != "" {
			t.Errorf("suggested %q", got[:10])
		}
		Closest("ab", []string{long})
	})
	if allocs > 10 {
		t.Errorf("%v allocations", allocs)
	}
}
