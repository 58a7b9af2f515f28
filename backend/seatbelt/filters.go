package seatbelt

import (
	"strconv"
	"strings"
)

// subtree ends a regex so that it matches a path and everything below it.
// Anchored at both ends, the regex means the same whether the matcher
// searches the path or matches all of it.
const subtree = "(/.*)?$"

// filters renders the path filters of an entry. With fold (denies) every
// spelling differing only in case matches too, through bracket
// expressions; without, paths compare exactly.
func (c *compiler) filters(e *entry, fold bool) []string {
	rel := ""
	if len(e.comps) > 0 {
		rel = "/" + strings.Join(e.comps, "/")
	}
	switch e.base {
	case baseHome:
		return c.symbolic(e, fold, "HOME", rel)
	case baseTmpdir:
		return c.symbolic(e, fold, "TMPDIR", rel)
	case baseWS:
		return c.workspace(e, fold, rel)
	}
	var out []string
	for _, p := range spellings(e) {
		out = append(out, c.absFilter(e, fold, p))
	}
	return out
}

// absFilter renders one spelling p of an absolute entry.
func (c *compiler) absFilter(e *entry, fold bool, p string) string {
	if e.pattern != "" {
		return "(regex " + Quote("^"+prefixRegex(p, fold)+"/"+c.glob(e)+subtree) + ")"
	}
	cased := fold && hasCase(p)
	switch {
	case e.literal && cased:
		return "(regex " + Quote("^"+foldPath(p)+"$") + ")"
	case e.literal:
		return "(literal " + Quote(p) + ")"
	case cased:
		return "(regex " + Quote("^"+foldPath(p)+subtree) + ")"
	}
	return "(subpath " + Quote(p) + ")"
}

// prefixRegex is the regex of a glob's literal prefix; "/" contributes
// nothing since the pattern follows a "/".
func prefixRegex(p string, fold bool) string {
	if p == "/" {
		return ""
	}
	if fold {
		return foldPath(p)
	}
	return RegexQuote(p)
}

// foldPath folds p for a deny. A spelling through /tmp, /var or /etc
// keeps the link's name exact: ir.Decide resolves only those exact
// spellings into /private, and the kernel presents resolved paths anyway.
func foldPath(p string) string {
	for link := range aliasOf {
		if rest, ok := strings.CutPrefix(p, "/"+link); ok && (rest == "" || rest[0] == '/') {
			return RegexQuote("/"+link) + FoldRegex(rest)
		}
	}
	return FoldRegex(p)
}

// glob returns the translated pattern (folded for a deny, as collected).
func (c *compiler) glob(e *entry) string { return e.globRe }

// symbolic renders the filter of an entry below HOME or TMPDIR.
func (c *compiler) symbolic(e *entry, fold bool, name, rel string) []string {
	switch {
	case e.pattern != "" && fold:
		return []string{regexOf(`"^"`, c.w.param(name+"_RE"), Quote(FoldRegex(rel)+"/"+c.glob(e)+subtree))}
	case e.pattern != "":
		return []string{regexOf(`"^"`, "(regex-quote "+c.w.param(name)+")",
			Quote(RegexQuote(rel)+"/"+c.glob(e)+subtree))}
	case fold:
		return []string{regexOf(`"^"`, c.w.param(name+"_RE"), Quote(FoldRegex(rel)+subtree))}
	}
	return []string{"(subpath " + appendExpr(c.w.param(name), Quote(rel)) + ")"}
}

// workspace renders the filters of an entry below every workspace root:
// one per slot for grants, one regex over all roots for denies.
func (c *compiler) workspace(e *entry, fold bool, rel string) []string {
	if fold {
		tail := FoldRegex(rel)
		if e.pattern != "" {
			tail += "/" + c.glob(e)
		}
		return []string{regexOf(`"^"`, c.w.param("WORKSPACE_ROOTS_RE"), Quote(tail+subtree))}
	}
	out := make([]string, 0, WorkspaceSlots)
	for i := 0; i < WorkspaceSlots; i++ {
		slot := c.w.param(slotName(i))
		if e.pattern != "" {
			out = append(out, regexOf(`"^"`, "(regex-quote "+slot+")",
				Quote(RegexQuote(rel)+"/"+c.glob(e)+subtree)))
			continue
		}
		out = append(out, "(subpath "+appendExpr(slot, Quote(rel))+")")
	}
	return out
}

func regexOf(parts ...string) string { return "(regex " + appendExpr(parts...) + ")" }

func slotName(i int) string {
	if i < len(slotNames) {
		return slotNames[i]
	}
	return "WORKSPACE_ROOT_" + strconv.Itoa(i)
}

// slotNames are the names slotName gives the slots, made once.
var slotNames = func() (names [WorkspaceSlots]string) {
	for i := range names {
		names[i] = "WORKSPACE_ROOT_" + strconv.Itoa(i)
	}
	return names
}()

// hasCase reports whether some rune of s has another spelling under case
// folding.
func hasCase(s string) bool {
	var b strings.Builder
	for _, r := range s {
		b.Reset()
		writeFolded(&b, r)
		if s := b.String(); s != string(r) && s != `\`+string(r) {
			return true
		}
	}
	return false
}

// aliasOf maps the top-level macOS links to their targets.
var aliasOf = map[string]bool{"tmp": true, "var": true, "etc": true}

// spellings returns the canonical path of an absolute entry and, for a
// path under /private/tmp, /private/var or /private/etc, its spelling
// through the link; /private itself also covers the three links.
func spellings(e *entry) []string {
	canon := "/" + strings.Join(e.comps, "/")
	out := []string{canon}
	switch {
	case len(e.comps) >= 2 && e.comps[0] == "private" && aliasOf[e.comps[1]]:
		out = append(out, "/"+strings.Join(e.comps[1:], "/"))
	case len(e.comps) == 1 && e.comps[0] == "private" && e.pattern == "" && !e.literal:
		out = append(out, "/etc", "/tmp", "/var")
	}
	return out
}
