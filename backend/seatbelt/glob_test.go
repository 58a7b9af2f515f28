package seatbelt

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/go-cmp/cmp"
)

func TestGlobRegexCases(t *testing.T) {
	tests := []struct {
		name, pat string
		fold      bool
		want      string
	}{
		{"star", "*.env", false, `[^/]*\.env`},
		{"question", "a?", false, `a[^/]`},
		{"doublestar lead", "**/*.env", false, `(.*/)?[^/]*\.env`},
		{"doublestar tail", "a/**", false, `a(/.*)?`},
		{"doublestar alone", "**", false, `.*`},
		{"folded", "*.ENV", true, `[^/]*\.[Ee][Nn][Vv]`},
		{"class kept", "[a-c]x", false, `[a-c]x`},
		{"class folded", "[a-c]x", true, `[A-Ca-c][Xx]`},
		{"reversed range keeps its start", "[z-a]", false, `z`},
		{"braces", "{a,b}.txt", false, `(a\.txt|b\.txt)`},
		{"escape", `\*x`, false, `\*x`},
		{"regex metas literal", "a+b(c)|d$", false, `a\+b\(c\)\|d\$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := globRegex(tc.pat, tc.fold)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("globRegex(%q) (-want +got):\n%s", tc.pat, diff)
			}
		})
	}
}

func TestGlobRegexRejects(t *testing.T) {
	for _, pat := range []string{"[abc", "a//b", "/a", "a/", "[a/b]", "{a,b", "[!a]", "[^a]x",
		"a**", "**b/c", "{a/b,c}", "x/{**,a}", "*{*,a}", "a*{,x}", "{a*,b}{c,d}", "{a,}/{,b}/c"} {
		if re, err := globRegex(pat, false); err == nil {
			t.Errorf("globRegex(%q) = %q, want an error", pat, re)
		}
	}
}

// TestGlobRegexAgreesWithDoublestar compares the translation with
// doublestar.Match, which ir.Decide uses, on random patterns and names.
func TestGlobRegexAgreesWithDoublestar(t *testing.T) {
	rng := rand.New(rand.NewSource(globSeed))
	pieces := []string{"a", "b", "B", "é", "É", "k", "İ", ".", "-", "*", "?", "[a-b]", "[A-Z]",
		"[]a]", "[-k]", `[\]]`, `\*`, "{a,b}", "{*.x,k}", "{,x}", "+", "(", "$"}
	comps := []string{"a", "b", "ab", "A", "B", "é", "É", "K", "k", ".x", "a.b", "*", "(", "a-b", "]a"}
	checked := 0
	for i := int64(0); i < globIters; i++ {
		pat := randomPattern(rng, pieces)
		fold := rng.Intn(2) == 0
		re, err := globRegex(pat, fold)
		if err != nil {
			continue
		}
		rx := regexp.MustCompile("(?s)^(" + re + ")$")
		for j := 0; j < 30; j++ {
			name := randomName(rng, comps)
			p, n := pat, name
			if fold {
				p, n = strings.ToLower(p), strings.ToLower(n)
			}
			want, _ := doublestar.Match(p, n)
			if got := rx.MatchString(name); got != want {
				t.Errorf("pattern %q fold=%v name %q: regex %q says %v, doublestar %v",
					pat, fold, name, re, got, want)
			}
			checked++
		}
	}
	if checked < 50000 {
		t.Fatalf("only %d comparisons ran; the generator is broken", checked)
	}
}

func randomPattern(rng *rand.Rand, pieces []string) string {
	var segs []string
	for n := 1 + rng.Intn(3); n > 0; n-- {
		if rng.Intn(4) == 0 {
			segs = append(segs, "**")
			continue
		}
		var b strings.Builder
		for k := 1 + rng.Intn(3); k > 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		segs = append(segs, b.String())
	}
	return strings.Join(segs, "/")
}

func randomName(rng *rand.Rand, comps []string) string {
	var segs []string
	for n := 1 + rng.Intn(4); n > 0; n-- {
		segs = append(segs, comps[rng.Intn(len(comps))])
	}
	return strings.Join(segs, "/")
}

var globSeed, globIters int64 = 7, 4000
