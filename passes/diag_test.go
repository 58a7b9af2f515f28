package passes_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// Each file in testdata/diag carries its expected diagnostics on the line
// they are about, as go/types tests do:
//
//	"x" = "rw"   # want error[bad-access] 7 `regexp`
//
// The number is the expected column ("~" when the column is not asserted).
// A "# want-target: linux,windows" line runs the enforceability check for
// those targets too. Every diagnostic the file produces must be expected,
// and every expectation met. Expectations are written by hand and never
// rewritten by a flag.

var wantRE = regexp.MustCompile("(error|warning|note)\\[([a-z-]+)\\] (\\d+|~) `([^`]*)`")

type want struct {
	line int
	sev  string
	code string
	col  int // 0: any
	re   *regexp.Regexp
	hit  bool
}

func readWants(t *testing.T, file string) ([]*want, []ir.Target) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ws []*want
	var targets []ir.Target
	for i, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "# want-target: "); ok {
			for _, tg := range strings.Split(rest, ",") {
				targets = append(targets, ir.Target(strings.TrimSpace(tg)))
			}
			continue
		}
		_, c, ok := strings.Cut(line, "# want ")
		if !ok {
			continue
		}
		for _, m := range wantRE.FindAllStringSubmatch(c, -1) {
			col := 0
			if m[3] != "~" {
				col, _ = strconv.Atoi(m[3])
			}
			ws = append(ws, &want{line: i + 1, sev: m[1], code: m[2], col: col, re: regexp.MustCompile(m[4])})
		}
	}
	return ws, targets
}

func check(file string, targets []ir.Target) diag.List {
	cfg, diags := frontend.Load(frontend.Options{Files: []string{file}})
	if diags.HasErrors() {
		return diags
	}
	res := passes.Run(cfg, passes.Options{})
	diags = append(diags, res.Diags...)
	for _, p := range res.Policies {
		for _, tg := range targets {
			diags = append(diags, passes.Enforceability(p, tg)...)
		}
	}
	return diags.Sorted()
}

func TestDiagnostics(t *testing.T) {
	files, _ := filepath.Glob("testdata/diag/*.toml")
	if len(files) == 0 {
		t.Fatal("no test inputs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			ws, targets := readWants(t, f)
			for _, d := range check(f, targets) {
				if !matchWant(ws, f, d) {
					t.Errorf("unexpected diagnostic: %s", d)
				}
			}
			for _, w := range ws {
				if !w.hit {
					t.Errorf("%s:%d: missing %s[%s] at col %d matching %q", f, w.line, w.sev, w.code, w.col, w.re)
				}
			}
		})
	}
}

func matchWant(ws []*want, file string, d diag.Diagnostic) bool {
	for _, w := range ws {
		if w.hit || d.Pos.File != file || d.Pos.Line != w.line || d.Severity.String() != w.sev ||
			string(d.Code) != w.code || (w.col != 0 && d.Pos.Col != w.col) || !w.re.MatchString(d.Message) {
			continue
		}
		w.hit = true
		return true
	}
	return false
}

// runtimeCodes are reported by the loader and runtime, not by check.
var runtimeCodes = map[diag.Code]bool{diag.Load: true, diag.Internal: true}

// TestEveryCodeTested requires each documented code to be asserted by some
// input here or in the requirement tests, and documented exactly once.
func TestEveryCodeTested(t *testing.T) {
	files, _ := filepath.Glob("testdata/diag/*.toml")
	seen := map[string]bool{}
	for _, f := range files {
		ws, _ := readWants(t, f)
		for _, w := range ws {
			seen[w.code] = true
		}
	}
	for _, c := range append(requirementCodes, generatedCodes...) {
		seen[string(c)] = true
	}
	docs := map[diag.Code]int{}
	var missing []string
	for _, c := range diag.Codes {
		docs[c.Code]++
		if !seen[string(c.Code)] && !runtimeCodes[c.Code] {
			missing = append(missing, string(c.Code))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("codes without a test: %s", strings.Join(missing, ", "))
	}
	for c, n := range docs {
		if n != 1 {
			t.Errorf("code %s documented %d times", c, n)
		}
	}
}
