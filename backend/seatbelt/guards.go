package seatbelt

import (
	"fmt"
	"strings"

	"github.com/permc/permc/ir"
)

// A rename guard keeps the directories above an exact-path deny (and the
// literal prefix of a deny glob) from being unlinked or renamed: moving
// one would carry the denied file to a path no rule names. file-write-
// unlink covers unlink(2) and the source of rename(2). Guards come after
// every file rule so that no grant reopens them.

type guard struct {
	base   base
	path   string // "" with up: the root and its ancestors
	up     bool
	first  string // origin and rule of the first deny needing it
	others int
}

// guards writes the rename guards of every deny.
func (c *compiler) guards() {
	var order []*guard
	seen := map[string]*guard{}
	need := func(b base, path string, up bool, e *entry) {
		k := fmt.Sprint(b, up, path)
		if g, ok := seen[k]; ok {
			g.others++
			return
		}
		g := &guard{base: b, path: path, up: up, first: e.origin.String() + " " + e.what}
		seen[k] = g
		order = append(order, g)
	}
	for _, e := range append(append([]*entry(nil), c.entries...), c.globs...) {
		if e.access != ir.Deny || (e.kind != kindRule && e.kind != kindDenyGlob) {
			continue
		}
		c.guardEntry(e, need)
	}
	for _, g := range order {
		c.guardForm(g)
	}
}

// guardEntry names the guards one deny needs: the strict ancestors of an
// exact path, the literal prefix of a glob and its ancestors.
func (c *compiler) guardEntry(e *entry, need func(base, string, bool, *entry)) {
	n := len(e.comps)
	if e.kind != kindDenyGlob {
		n--
	}
	if e.base != baseAbs {
		need(e.base, "", true, e)
	}
	for k := 1; k <= n; k++ {
		need(e.base, strings.Join(e.comps[:k], "/"), false, e)
	}
}

func (c *compiler) guardForm(g *guard) {
	what := "/" + g.path
	if g.base != baseAbs {
		what = rootParam(g.base) + what
	}
	if g.up {
		what = rootParam(g.base) + " and its ancestors"
	}
	comment := fmt.Sprintf("rename guard for %s: %s cannot be unlinked or renamed", g.first, what)
	if g.others > 0 {
		comment += fmt.Sprintf(" (and %d more denies)", g.others)
	}
	c.w.form(comment, "deny", opsGuard, c.guardFilters(g))
}

func (c *compiler) guardFilters(g *guard) []string {
	name := rootParam(g.base)
	switch {
	case g.up && g.base == baseWS:
		return []string{"(regex " + c.w.param("WORKSPACE_ROOTS_UP_RE") + ")"}
	case g.up:
		return []string{"(regex " + c.w.param(name+"_UP_RE") + ")"}
	case g.base == baseAbs:
		var out []string
		for _, s := range spellings(&entry{comps: strings.Split(g.path, "/"), literal: true}) {
			out = append(out, "(regex "+Quote("^"+foldPath(s)+"$")+")")
		}
		return out
	}
	return []string{regexOf(`"^"`, c.w.param(name+"_RE"), Quote(FoldRegex("/"+g.path)+"$"))}
}

// rootParam names the parameter of a symbolic base.
func rootParam(b base) string {
	switch b {
	case baseHome:
		return "HOME"
	case baseTmpdir:
		return "TMPDIR"
	case baseWS:
		return "WORKSPACE_ROOTS"
	}
	return ""
}
