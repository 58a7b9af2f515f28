package seccomp

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden pins the disassembly and the summary of each mode and
// architecture, for review of changes; the VM and kernel tests are what
// prove the programs right.
func TestGolden(t *testing.T) {
	for _, arch := range Arches() {
		for _, mode := range modes {
			prog := mustCompile(t, policyFor(mode, false), arch)
			sum, err := json.MarshalIndent(prog.Summary, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got := prog.Disasm() + "\n-- summary (linux.json) --\n" + string(sum) + "\n"
			file := filepath.Join("testdata", mode.String()+"-"+string(arch)+".golden")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", file, d)
			}
		}
	}
}

// TestDeterministic compiles twice: artifacts must be identical on every
// run and machine.
func TestDeterministic(t *testing.T) {
	for _, arch := range Arches() {
		a := mustCompile(t, policyFor(ir.NetProxied, false), arch)
		b := mustCompile(t, policyFor(ir.NetProxied, false), arch)
		if string(a.Bytes()) != string(b.Bytes()) || a.Disasm() != b.Disasm() {
			t.Errorf("%s: two compilations differ", arch)
		}
	}
}

// TestProvenance checks that blocks name the setting they come from.
func TestProvenance(t *testing.T) {
	p := policyFor(ir.NetProxied, false)
	p.Net.Origins = map[string]ir.Origin{
		"domains": {Pos: diag.Pos{File: "config.toml", Line: 12, Col: 1}, Profile: "web"},
	}
	d := mustCompile(t, p, X86_64).Disasm()
	for _, want := range []string{
		"; socket (41): argument checks (int arguments by their low 32 bits) [origin: domains at config.toml:12 (web); defaults of profile test at builtin]",
		"; io_uring_setup (425): EPERM [origin: builtin: permc's linux baseline]",
	} {
		if !strings.Contains(d, want+"\n") {
			t.Errorf("disassembly lacks %q", want)
		}
	}
}
