//go:build unix

package frontend_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/permc/permc/frontend"
)

// A FIFO where a machine layer belongs is an error, not a read that never
// returns (a run would hang with it).
func TestMachineLayerFIFO(t *testing.T) {
	home := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(home, "config.toml"), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "CODEX_HOME" {
			return home
		}
		return os.Getenv(k)
	}
	_, diags := frontend.Load(frontend.Options{SystemLayers: true, Getenv: getenv})
	errs := diags.Errors()
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "is a FIFO, not a regular file") {
		t.Errorf("diagnostics: %v", diags)
	}
}
