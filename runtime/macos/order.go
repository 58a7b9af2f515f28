package macos

import (
	"fmt"
	"path"
	"strings"

	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/ir"
)

// boundRule is one rule template bound to one path of this machine.
type boundRule struct {
	ref   *seatbelt.RuleRef
	path  string
	comps []string
	depth int
	rank  int
	fold  bool // a deny, or a read rule's deny of writes, matches every case spelling
}

// bound binds every file rule template but the deny globs, which are
// emitted last and win everywhere, so their order never matters.
func (b *binder) bound() []boundRule {
	var out []boundRule
	for i := range b.m.Rules {
		r := &b.m.Rules[i]
		if r.Kind == "deny-glob" {
			continue
		}
		for _, p := range b.refPaths(*r) {
			c := splitPath(p)
			out = append(out, boundRule{ref: r, path: p, comps: c, depth: len(c) + r.GlobDepth,
				rank: r.Rank(), fold: r.Access == "deny" || r.Access == "read"})
		}
	}
	return out
}

// checkOrder checks that SBPL's last-match rule picks what ir.Decide's
// most-specific rule picks: of two rules that can match one path, the
// one emitted later must be at least as deep, and at equal depth at least
// as strong. The compiler ordered rules by nominal depths; here the
// roots are known.
func checkOrder(m *seatbelt.Manifest, rules []boundRule) error {
	byPath := map[string][]int{}
	for i, r := range rules {
		k := foldKey(r.comps)
		byPath[k] = append(byPath[k], i)
	}
	for _, y := range rules {
		for k := 0; k <= len(y.comps); k++ {
			for _, xi := range byPath[foldKey(y.comps[:k])] {
				if err := checkPair(&rules[xi], &y); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func foldKey(comps []string) string { return strings.ToLower(strings.Join(comps, "/")) }

// checkPair checks x, whose path is an ancestor-or-self of y's up to case.
func checkPair(x, y *boundRule) error {
	if x.ref.Order == y.ref.Order {
		return nil
	}
	if !x.fold && !y.fold && !hasPrefix(y.comps, x.comps, false) {
		return nil
	}
	first, second := x, y
	if x.ref.Order > y.ref.Order {
		first, second = y, x
	}
	if first.depth < second.depth || (first.depth == second.depth && first.rank <= second.rank) {
		return nil
	}
	return fmt.Errorf("on this machine %s %s (here %s, sbpl line %d) is more specific than %s %s "+
		"(here %s, sbpl line %d) but is emitted first, so the broader rule would win; "+
		"the profile cannot run with these roots",
		first.ref.Origin, first.ref.Rule, first.path, first.ref.Line,
		second.ref.Origin, second.ref.Rule, second.path, second.ref.Line)
}

// checkNestedGlobs refuses a write glob below :workspace_roots when one
// bound workspace root lies inside another and the glob, read from the
// outer root, could reach the inner root's protected metadata: a glob
// never overrides the protection, but Seatbelt would apply it over the
// inner .git. The compiler checks what it can see (the first component
// below each root); nesting is known only here.
func checkNestedGlobs(m *seatbelt.Manifest, roots []string) error {
	for _, outer := range roots {
		for _, inner := range roots {
			rel, ok := strings.CutPrefix(inner, strings.TrimSuffix(outer, "/")+"/")
			if !ok {
				continue
			}
			for i := range m.Rules {
				r := &m.Rules[i]
				if !r.Glob || r.Access != "write" || r.Base != "workspace_roots" {
					continue
				}
				if globReachesBelow(strings.Trim(r.Path+"/"+r.Pattern, "/"), strings.Split(rel, "/")) {
					return fmt.Errorf("%s %s is a write glob, and workspace root %s lies inside workspace root %s: "+
						"read from the outer root it could reach the inner root's protected metadata; "+
						"the profile cannot run with these roots", r.Origin, r.Rule, inner, outer)
				}
			}
		}
	}
	return nil
}

// globReachesBelow reports whether pattern, relative to a root, could
// match a path of the form rel/NAME/... where NAME is a protected name in
// any case: its components up to rel's depth match rel, and the next one
// can match the name (or a ** stands anywhere on the way).
func globReachesBelow(pattern string, rel []string) bool {
	comps := strings.Split(strings.Trim(pattern, "/"), "/")
	for i, c := range comps {
		if c == "**" {
			return true
		}
		if i == len(rel) {
			return ir.GlobMayReachProtected(ir.BaseWorkspaceRoots, c)
		}
		if !matchAnyCase(c, rel[i]) {
			return false
		}
	}
	return false
}

// matchAnyCase reports whether the pattern component c matches name in
// some spelling the case-insensitive volume takes for it: name as it is,
// lower or upper case, or, for a literal, any case.
func matchAnyCase(c, name string) bool {
	if !strings.ContainsAny(c, "*?[") {
		return strings.EqualFold(c, name)
	}
	for _, n := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
		if ok, err := path.Match(c, n); err == nil && ok {
			return true
		}
	}
	return false
}
