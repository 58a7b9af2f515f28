package udiff

import (
	"strings"
	"testing"
)

// A binary file (a seccomp program) is reported in one line, not as
// lines of raw bytes.
func TestBinaryFilesDiffer(t *testing.T) {
	got := Diff("a.bpf", "b.bpf", []byte{0x20, 0, 0, 0, '\n', 4}, []byte{0x20, 0, 0, 1, '\n', 4})
	if got != "Binary files a.bpf and b.bpf differ\n" {
		t.Errorf("got %q", got)
	}
	if got := Diff("a", "b", []byte("x\n"), []byte("y\n")); !strings.Contains(got, "-x\n") || !strings.Contains(got, "+y\n") {
		t.Errorf("text diff: %q", got)
	}
}
