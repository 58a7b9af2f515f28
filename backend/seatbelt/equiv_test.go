package seatbelt_test

import (
	"flag"
	"math/rand"
	"strings"
	"testing"

	"github.com/permc/permc/backend/seatbelt"
	gen "github.com/permc/permc/backend/seatbelt/seatbelttest"
	"github.com/permc/permc/runtime/macos"
)

var (
	genSeed  = flag.Int64("gen.seed", 1, "seed of the generated-profile test")
	genCases = flag.Int("gen.cases", 250, "number of generated profiles")
)

// TestGeneratedProfilesAgreeWithDecide compiles random policies, binds
// them as the macOS loader does, and checks that the evaluator's decision
// on the emitted SBPL equals ir.Decide for read, write and create on every
// probe. A binding the loader refuses is counted; a refusal is fail-closed.
func TestGeneratedProfilesAgreeWithDecide(t *testing.T) {
	rng := rand.New(rand.NewSource(*genSeed))
	cases := *genCases
	checked, refused := 0, 0
	for i := 0; i < cases; i++ {
		p := gen.Policy(rng, "gen")
		b := gen.Binding(rng)
		if i%4 == 3 {
			b = gen.OddBinding(rng)
		}
		prof, err := seatbelt.Compile(p)
		if err != nil {
			t.Fatalf("case %d: compile: %v\n%s", i, err, gen.Describe(p, b))
		}
		bound, err := macos.Bind(prof.SBPL, &prof.Manifest, macos.FromBinding(b))
		if err != nil {
			if !strings.Contains(err.Error(), "cannot run with these roots") {
				t.Fatalf("case %d: bind: %v\n%s", i, err, gen.Describe(p, b))
			}
			refused++
			continue
		}
		ms := gen.Compare(p, b, bound.Program, gen.Probes(p, b))
		for j, m := range ms {
			if j == 5 {
				break
			}
			t.Errorf("case %d: %s", i, m)
		}
		if len(ms) > 0 {
			t.Fatalf("case %d: %d mismatches\n%s\n%s", i, len(ms), gen.Describe(p, b), prof.SBPL)
		}
		checked++
	}
	t.Logf("%d cases agreed with ir.Decide, %d refused by the order check", checked, refused)
	if checked < cases*3/4 {
		t.Errorf("only %d of %d cases were checked", checked, cases)
	}
}
