package winacl

import (
	"math/rand"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/permc/permc/ir"
)

// insideAnyScan is the definition containIndex.insideAny implements: a
// scan of every other rule.
func insideAnyScan(rules []ir.FSRule, r ir.FSRule, want func(ir.Access) bool) bool {
	for _, o := range rules {
		if o.Glob || !want(o.Access) || o.Key() == r.Key() {
			continue
		}
		if o.Base == ir.BaseRoot {
			if o.Access != ir.Deny {
				return true
			}
			continue
		}
		if containsScan(o, r) {
			return true
		}
	}
	return false
}

func containsScan(o, r ir.FSRule) bool {
	if o.Base != r.Base {
		return false
	}
	switch o.Base {
	case ir.BaseHome, ir.BaseWorkspaceRoots, ir.BaseAbs:
	default:
		return false
	}
	oc, rc := relComps(o), relComps(r)
	if len(oc) >= len(rc) {
		return false
	}
	for i := range oc {
		if !strings.EqualFold(oc[i], rc[i]) {
			return false
		}
	}
	return true
}

// TestContainIndex compares the index with the scan on random rule sets
// that mix case, Unicode case folding, bases, globs and duplicates.
func TestContainIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	comps := []string{"a", "A", "src", "SRC", "Src", "k", "K", "\u212a", "s", "\u017f", "ß", "ẞ", "é", "É",
		"x\xff", "x\ufffd", "", "ǅ", "ǆ", "Ǆ", "Σ", "σ", "ς", "*", "**", "b"}
	bases := []ir.BaseKind{ir.BaseRoot, ir.BaseMinimal, ir.BaseTmpdir, ir.BaseHome, ir.BaseWorkspaceRoots, ir.BaseAbs}
	accesses := []ir.Access{ir.Read, ir.Write, ir.Deny}
	wants := []func(ir.Access) bool{grants, denies, writes}
	for round := 0; round < 300; round++ {
		var rules []ir.FSRule
		for n := rng.Intn(40); len(rules) < n; {
			r := ir.FSRule{Base: bases[rng.Intn(len(bases))], Access: accesses[rng.Intn(3)]}
			switch r.Base {
			case ir.BaseHome, ir.BaseWorkspaceRoots, ir.BaseAbs:
				var cs []string
				for d := rng.Intn(4); d > 0; d-- {
					cs = append(cs, comps[rng.Intn(len(comps))])
				}
				r.Path = strings.Join(cs, "/")
				if r.Base == ir.BaseAbs {
					r.Path = []string{`C:\`, "/", `\\srv\share\`, `D:/`}[rng.Intn(4)] + r.Path
				}
				r.Glob = ir.HasGlobMeta(r.Path)
			}
			rules = append(rules, r)
		}
		x := newContainIndex(rules)
		for i, r := range rules {
			for w, want := range wants {
				if got, exp := x.insideAny(i, want), insideAnyScan(rules, r, want); got != exp {
					t.Fatalf("round %d: rule %d %+v, want #%d: index says %v, scan %v\nrules %+v", round, i, r, w, got, exp, rules)
				}
			}
		}
	}
}

// TestFoldKey checks that strings.EqualFold equates two strings exactly
// when their fold keys are equal.
func TestFoldKey(t *testing.T) {
	var runes []rune
	for r := rune(0); r < 0x2000; r++ {
		runes = append(runes, r)
	}
	runes = append(runes, 0x212a, 0x212b, 0x1e9e, 0xfb05, 0xfb06, 0x10400, 0x10428, utf8.RuneError)
	for _, a := range runes {
		for f := unicode.SimpleFold(a); ; f = unicode.SimpleFold(f) {
			sa, sf := "p"+string(a), "p"+string(f)
			if foldKey(sa) != foldKey(sf) {
				t.Fatalf("%q and %q fold apart", sa, sf)
			}
			if f == a {
				break
			}
		}
	}
	rng := rand.New(rand.NewSource(2))
	pick := func() string {
		var b strings.Builder
		for n := rng.Intn(3); n >= 0; n-- {
			if rng.Intn(8) == 0 {
				b.WriteByte(byte(0x80 + rng.Intn(0x80)))
				continue
			}
			b.WriteRune(runes[rng.Intn(len(runes))])
		}
		return b.String()
	}
	for i := 0; i < 200000; i++ {
		a, b := pick(), pick()
		if i%2 == 0 {
			b = strings.ToUpper(a)
		}
		if strings.EqualFold(a, b) != (foldKey(a) == foldKey(b)) {
			t.Fatalf("%q, %q: EqualFold %v, keys %q %q", a, b, strings.EqualFold(a, b), foldKey(a), foldKey(b))
		}
	}
}
