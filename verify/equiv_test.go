package verify_test

// The cross-backend equivalence test: one generator of profiles (gen_test.go)
// and one probe set (verify.Probes), run through every backend's evaluator
// against ir.Decide, exactly as permc verify checks a build folder. A
// difference fails the test unless the enforceability pass reported the
// deciding rule for that target, or it is one of the limitations the
// backends document (verify counts those as "known" and names them).

import (
	"flag"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/verify"
)

var (
	equivSeed  = flag.Int64("equiv.seed", 1, "seed of the cross-backend equivalence test")
	equivCases = flag.Int("equiv.cases", 300, "profiles the cross-backend equivalence test generates")
)

// stats counts what one run compared.
type stats struct {
	profiles, rejected int
	compared           map[string]int // check name -> probes (or calls)
	skipped            map[string]int // check name -> times skipped
	dropped            map[ir.Target]int
	rejects            map[string]int // first error of each rejected profile, by code and message start
	refused            map[string]int // errors a backend gave at build, by target and message start
	dropWhy            map[string]int // enforceability errors that dropped a target, by target and reason
	known              map[string]int // known limitations met, by check and limitation
	excused            map[string]int
}

func newStats() *stats {
	return &stats{compared: map[string]int{}, skipped: map[string]int{}, dropped: map[ir.Target]int{},
		rejects: map[string]int{}, refused: map[string]int{}, dropWhy: map[string]int{}, known: map[string]int{},
		excused: map[string]int{}}
}

func TestCrossBackendEquivalence(t *testing.T) {
	rng := rand.New(rand.NewSource(*equivSeed))
	st := newStats()
	failures := 0
	for i := 0; i < *equivCases; i++ {
		doc := genProfile(rng)
		if msg := checkProfile(doc, st); msg != "" {
			if failures++; failures <= 5 {
				t.Errorf("profile %d (seed %d):\n%s\n--- gen.toml\n%s", i, *equivSeed, msg, doc)
			}
		}
	}
	if failures > 5 {
		t.Errorf("%d profiles failed in all; the first 5 are shown", failures)
	}
	t.Logf("%d profiles, %d rejected by the passes; targets dropped for enforceability errors: %v",
		st.profiles, st.rejected, st.dropped)
	for _, k := range sortedKeys(st.rejects) {
		t.Logf("  rejected %3d× %s", st.rejects[k], k)
	}
	for _, k := range sortedKeys(st.dropWhy) {
		t.Logf("  dropped %3d× %s", st.dropWhy[k], k)
	}
	t.Logf("differences at rules the enforceability pass reported: %v", st.excused)
	for _, k := range sortedKeys(st.known) {
		t.Logf("  known %5d× %s", st.known[k], k)
	}
	for _, k := range sortedKeys(st.refused) {
		t.Logf("  a backend refused at build %3d× %s", st.refused[k], k)
	}
	for _, name := range sortedKeys(st.compared) {
		t.Logf("  %-18s %7d compared, %3d skipped", name, st.compared[name], st.skipped[name])
	}
	if st.rejected*10 > st.profiles {
		t.Errorf("the passes rejected %d of %d generated profiles: the generator has drifted from the format", st.rejected, st.profiles)
	}
	if st.skipped["macos"]*20 > st.profiles {
		t.Errorf("the macOS launcher refused %d of %d profiles on the usual layout", st.skipped["macos"], st.profiles)
	}
	for _, name := range []string{"macos", "linux", "seccomp x86_64", "windows elevated"} {
		if st.compared[name] < st.profiles*10 {
			t.Errorf("%s compared only %d probes over %d profiles", name, st.compared[name], st.profiles)
		}
	}
}

// FuzzEquivalence draws profiles from the fuzzer's bytes.
func FuzzEquivalence(f *testing.F) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 8; i++ {
		seed := make([]byte, 64)
		rng.Read(seed)
		f.Add(seed)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		doc := genProfile(&byteSource{data: data})
		if msg := checkProfile(doc, newStats()); msg != "" {
			t.Fatalf("%s\n--- gen.toml\n%s", msg, doc)
		}
	})
}

// checkProfile compiles doc as permc build does, for every target that
// can enforce it, reads policy.json back, and runs every decision check.
// It returns what failed, or "".
func checkProfile(doc string, st *stats) string {
	st.profiles++
	read := func(string) ([]byte, error) { return []byte(doc), nil }
	cfg, diags := frontend.Load(frontend.Options{Files: []string{"gen.toml"}, ReadFile: read})
	var res *passes.Result
	if cfg != nil {
		res = passes.Run(cfg, passes.Options{})
		diags = append(diags, res.Diags...)
	}
	if res == nil || diags.HasErrors() || res.SelectedPolicy() == nil {
		st.rejected++
		st.rejects[firstError(diags)]++
		return ""
	}
	p := res.SelectedPolicy()
	var targets []ir.Target
	for _, tg := range ir.Targets {
		if ds := passes.Enforceability(p, tg); ds.HasErrors() {
			st.dropped[tg]++
			st.dropWhy[string(tg)+": "+refusal(ds.Errors()[0].Message)]++
			continue
		}
		targets = append(targets, tg)
	}
	// A backend may still refuse a profile at build, with an error at the
	// rule (the Seatbelt compiler refuses negated glob classes): such a
	// target gets no artifact, as permc build --target would leave it out.
	b := driver.Compile([]*ir.Policy{p}, p.Name, driver.Options{Targets: targets})
	if b.Diags.HasErrors() {
		for _, d := range b.Diags.Errors() {
			st.refused[d.Target+": "+refusal(d.Message)]++
			targets = slices.DeleteFunc(targets, func(tg ir.Target) bool { return string(tg) == d.Target })
		}
		b = driver.Compile([]*ir.Policy{p}, p.Name, driver.Options{Targets: targets})
		if b.Diags.HasErrors() {
			return "the build fails for targets no error names: " + firstError(b.Diags)
		}
	}
	files := b.Folders[driver.FolderName(p.Name)]
	back, err := ir.ReadPolicy(files["policy.json"])
	if err != nil {
		return err.Error()
	}
	if !passes.SamePolicy(p, back) {
		return "policy.json does not read back as the policy it was written from"
	}
	var fails []string
	for _, c := range verify.Decisions(back, targets, files, nil) {
		st.compared[c.Name] += c.Compared
		st.excused[c.Name] += c.Excused
		for why, n := range c.Known {
			st.known[c.Name+": "+why] += n
		}
		switch c.Status {
		case verify.Skipped:
			st.skipped[c.Name]++
		case verify.Failed:
			fails = append(fails, fmt.Sprintf("%s: %s\n    %s", c.Name, c.Summary, strings.Join(c.Details, "\n    ")))
		}
	}
	return strings.Join(fails, "\n")
}

// firstError names the first error by its code and message, without its
// position, so that equal causes count together.
// refusal is the part of a backend's error that says why, without the
// rule it names.
func refusal(msg string) string {
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

func firstError(diags diag.List) string {
	if errs := diags.Errors().Sorted(); len(errs) > 0 {
		return fmt.Sprintf("[%s] %s", errs[0].Code, errs[0].Message)
	}
	return "no policy selected"
}

// TestEquivalenceCases pins profiles through the same checks: shapes the
// generator reaches only by chance, and every difference it has found.
func TestEquivalenceCases(t *testing.T) {
	cases := []struct{ name, doc string }{
		{"reopen inside deny with odd names", `
[permissions.gen.filesystem]
":minimal" = "read"
"~/Documents" = "deny"
"~/Documents/x y" = "write"
"~/Documents/x y/q\"uote" = "read"
"~/re.+{}|^$" = "deny"
`},
		{"a path through a macOS link and its target", `
[permissions.gen.filesystem]
":root" = "read"
"/tmp/a" = "write"
"/private/tmp/a/b" = "deny"
"/etc/x" = "deny"
"/private/var/tmp/y" = "write"
`},
		{"denies fold case where allows do not", `
[permissions.gen.filesystem]
":root" = "read"
"~/Secret" = "deny"
"~/ÉCOLE" = "write"
"~/İk" = "deny"
"~/` + "\u212A" + `elvin" = "deny"
`},
		{"bounded deny globs", `
[permissions.gen.filesystem]
glob_scan_max_depth = 2
":minimal" = "read"

[permissions.gen.filesystem.":workspace_roots"]
"." = "write"
"**/*.env" = "deny"
"*/codex/**" = "deny"
"[a-c]*" = "deny"
`},
		{"protected metadata with a profile root", `
[permissions.gen]
extends = ":workspace"

[permissions.gen.workspace_roots]
"~/proj" = true

[permissions.gen.filesystem.":workspace_roots"]
".codex" = "write"
"src/.git" = "deny"
`},
		{"grants only, which windows unelevated takes", `
[permissions.gen.filesystem]
":root" = "read"
"~/work" = "write"
"~/work/ro" = "read"
'C:\data' = "write"

[permissions.gen.network]
enabled = true
`},
		// Windows elevated (sandbox-user model) drops ":minimal" = "deny":
		// winacl's resolver collects the :minimal roots only when
		// :minimal is granted, so no entry is placed and the sandbox
		// reads C:\Windows, C:\Program Files, C:\Program Files (x86) and
		// C:\ProgramData, which ir.Decide denies; no enforceability
		// diagnostic says so. The applier could not place a deny on the
		// TrustedInstaller-owned folders anyway: the profile should be
		// refused for that mode, at the rule's line.
		{"windows: :minimal denied under a readable root", `
[permissions.gen.filesystem]
":root" = "read"
":minimal" = "deny"
`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := newStats()
			doc := "default_permissions = \"gen\"\n" + tc.doc
			if msg := checkProfile(doc, st); msg != "" {
				t.Fatalf("%s\n--- gen.toml\n%s", msg, doc)
			}
			if st.rejected > 0 {
				t.Fatalf("rejected: %v", st.rejects)
			}
			if len(st.compared) == 0 {
				t.Fatal("nothing compared")
			}
		})
	}
}
